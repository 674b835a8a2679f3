"""Stage 4: the complaint cases each inspection handed over, in daily batches (第N批), lived through as the
complaint services record them: registered and assigned by the office (complaint.created), handled by
the lead unit (evidence, complaint.handled), submitted by its head, reviewed by the office (sometimes
returned once), and published batch by batch once every case of a batch is approved — with the public
row masked by the real `complaints.publication.published_row`. How far a case got depends on how long
ago its inspection ended. Complainants are kept apart (`Complainant`); some summaries quote a phone
number, as real ones do, which the published row masks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

from zhenggai.complaints.models import Complainant, Complaint, Truthfulness
from zhenggai.complaints.publication import Masker, complainant_strings, published_row
from zhenggai.complaints.statistics import COUNTER_FIELDS
from zhenggai.complaints.types import split_pollution_types

from . import vocab
from .bulk import Json, _json, aware
from .context import Actor, Context, Org
from .inspections import CN, PlanInfo
from .records import Rec, evidence, evidence_event_data

TRUTH = {"属实": "true", "基本属实": "mostly_true", "部分属实": "partly_true", "不属实": "false"}
RESULT_FIELDS = ("investigation", "handling_goal", "handling", "accountability", "remarks", "truthfulness",
                 "status", "done_at", *COUNTER_FIELDS)
ZERO = Decimal("0.00")


@lru_cache(maxsize=512)
def _types(text: str) -> tuple[list[str], list[str]]:
    types, subtypes, _unknown = split_pollution_types(text)
    return types, subtypes


def _outcome(rng: Any, age: int) -> tuple[str, str]:
    """(final status, review) of a case whose inspection ended `age` days before the reference date."""
    roll = rng.random()
    if age > 150:
        return ("done" if roll < 0.88 else "stage_done"), "approved"
    if age > 60:
        status = "done" if roll < 0.65 else "stage_done" if roll < 0.8 else "investigating" if roll < 0.95 else "received"
    else:
        status = "received" if roll < 0.2 else "investigating" if roll < 0.6 else "stage_done" if roll < 0.75 else "done"
    if status in ("received", "investigating"):
        return status, "draft"
    roll = rng.random()
    return status, ("approved" if roll < (0.85 if age > 60 else 0.6) else "submitted" if roll < 0.95 else "returned")


class _Inspection:
    def __init__(self, ctx: Context, plan: PlanInfo) -> None:
        self.ctx = ctx
        self.plan = plan
        self.office: Actor = plan.district.office_users[0]
        self.serial = 0
        self.people: dict[int, tuple[str, str, str]] = {}  # complaint id → (name, contact, ID number)
        self.summary_words: dict[int, tuple[str, ...]] = {}
        # Generated texts quote a complainant's phone at most, which `mask_text` masks as the
        # complainant's own strings would be: one masker without private strings serves every case.
        self.masker = _RememberingMasker()

    def run(self) -> None:
        plan, rng = self.plan, self.ctx.rng
        days = [plan.start + dt.timedelta(days=k) for k in range(1, (plan.end - plan.start).days + 1)]
        days = [d for d in days if d.weekday() < 6][:20] or [plan.end]
        shares = [0] * len(days)
        for _n in range(plan.complaints):
            shares[rng.randrange(len(days))] += 1
        number = 0
        for day, count in zip(days, shares, strict=True):
            if count:
                number += 1
                self.batch(number, day, count)

    def batch(self, number: int, day: dt.date, count: int) -> None:
        ctx, plan, rng = self.ctx, self.plan, self.ctx.rng
        created = aware(day, 9, rng.randrange(60))
        batch_id = ctx.table("complaints.HandoverBatch").allocate()
        key = f"handoverbatch:{batch_id}"
        repr_ = f"第{number}批（{day:%Y-%m-%d}）"
        ctx.log.record(key=key, at=created, actor=self.office, verb="batch.created", object_type="handoverbatch",
                       object_id=batch_id, object_repr=repr_,
                       data={"inspection": plan.inspection_id, "number": number, "handed_over": day.isoformat()})
        cases = [self.case(batch_id, sequence, day) for sequence in range(1, count + 1)]
        published_at = None
        approved = [c for c in cases if c[1] is not None]
        if len(approved) == len(cases):
            last = max(c[1] for c in approved if c[1] is not None)
            publish_on = last.astimezone(ctx.tz).date() + dt.timedelta(days=rng.randrange(2, 8))
            if publish_on < ctx.as_of:
                published_at = aware(publish_on, 15, rng.randrange(60))
        masked_total = 0
        for rec, _approved_at in cases:
            if published_at is not None:
                masked_total += self.publish(rec, published_at, batch_id)
            rec.write(ctx)
        ctx.add("complaints.HandoverBatch", id=batch_id, inspection_id=plan.inspection_id, number=number,
                handed_over=day, reply_days=plan.reply_days, notes="", published_at=published_at,
                published_by_id=self.office[0] if published_at else None, created_at=created)
        if published_at is not None:
            ctx.log.record(key=key, at=published_at, actor=self.office, verb="batch.published",
                           object_type="handoverbatch", object_id=batch_id, object_repr=repr_,
                           data={"published_at": published_at,
                                 "complaints": [rec.values["acceptance_number"] for rec, _a in cases],
                                 "masked_spots": masked_total})

    def case(self, batch_id: int, sequence: int, day: dt.date) -> tuple[Rec, dt.datetime | None]:
        ctx, plan, rng = self.ctx, self.plan, self.ctx.rng
        district = plan.district
        template = rng.choice(vocab.CASE_TEMPLATES)
        town_index = rng.randrange(len(district.townships))
        town_region_id, town = district.township_regions[town_index]
        township = district.townships[town_index]

        def unit(name: str) -> Org:
            return township if name == template.township else district.unit(name, rng)

        lead = unit(template.lead)
        if not lead.staff:
            lead = township
        cooperating = [o for o in dict.fromkeys(unit(n) for n in template.cooperating) if o is not lead]
        self.serial += 1
        round_digit = CN.index(plan.round[1]) + 1 if plan.round[1:2] in CN else 1
        received = day - dt.timedelta(days=1)
        channel = "D" if rng.random() < 0.7 else "X"
        acceptance_number = f"{channel}{round_digit}{ctx.province_code}{received:%Y%m%d}{self.serial:04d}"
        is_priority = rng.random() < 0.08
        name = contact = identity = ""
        if rng.random() < 0.85:
            last, first = vocab.person(rng)
            name, contact = f"{last}{first}", vocab.mobile(rng)
            if rng.random() < 0.1:
                identity = vocab.id_number(rng, district.code)
        summary = vocab.relocate(template.summary, district.name, town, template.township)
        if contact and rng.random() < 0.15:
            summary += f"反映人留有电话{contact}，希望回访。"
        types, subtypes = _types(template.pollution)
        reply_deadline = day + dt.timedelta(days=plan.reply_days)
        created = aware(day, 10, rng.randrange(60))
        complaint_id = ctx.table("complaints.Complaint").allocate()
        values: dict[str, Any] = {
            "id": complaint_id, "batch_id": batch_id, "inspection_id": plan.inspection_id, "sequence": sequence,
            "acceptance_number": acceptance_number, "channel": channel, "number_round": str(round_digit),
            "number_province": ctx.province_code, "received_date": received, "number_serial": f"{self.serial:04d}",
            "is_priority": is_priority, "summary": summary, "region_id": town_region_id, "region_text": town,
            "pollution_types": Json(_json(types)), "pollution_subtypes": Json(_json(subtypes)),
            "pollution_text": template.pollution, "lead_unit_id": lead.id, "reply_deadline": reply_deadline,
            "status": "received", "review_status": "draft", "review_note": "", "investigation": "",
            "truthfulness": "", "handling_goal": "", "handling": "", "accountability": "", "remarks": "",
            "done_at": None, **{name_: 0 for name_ in COUNTER_FIELDS}, "fine_amount": ZERO, "repeat_of_id": None,
            "merged_into_id": None, "rebound_of_id": None, "published_data": Json("{}"), "published_at": None,
            "is_sample": False, "version": 1, "created_at": created, "updated_at": created,
        }
        rec = Rec("complaints.Complaint", "complaint", values)
        summary_words = vocab.moved_words(template.summary, district.name, town, template.township)
        rec.values["search_text"] = vocab.search_text((acceptance_number.lower(),), summary_words, town,
                                                      template.pollution)
        self.summary_words[complaint_id] = summary_words
        self.people[complaint_id] = (name, contact, identity)
        if name or contact or identity:
            ctx.add(Complainant._meta.label, complaint_id=complaint_id, name=name, contact=contact, id_number=identity)
        for org in cooperating:
            ctx.link(Complaint, "cooperating_units", complaint_id=complaint_id, organization_id=org.id)
        key = f"complaint:{complaint_id}"

        def event(at: dt.datetime, actor: Actor, verb: str, data: dict[str, Any], *recs: Rec) -> None:
            states = tuple(r.state for r in (rec, *recs) if r.state is not None)
            ctx.log.record(key=key, at=at, actor=actor, verb=verb, object_type="complaint", object_id=complaint_id,
                           object_repr=acceptance_number, data=data, states=states)

        event(created, self.office, "complaint.created", {
            "batch": batch_id, "acceptance_number": acceptance_number, "is_priority": is_priority,
            "lead_unit": lead.id, "cooperating_units": [o.id for o in cooperating],
            "reply_deadline": reply_deadline.isoformat(), "status": "received"})
        return rec, self.handle(rec, template, day, lead, event)

    def handle(self, rec: Rec, template: Any, day: dt.date, lead: Org, event: Any) -> dt.datetime | None:
        ctx, plan, rng = self.ctx, self.plan, self.ctx.rng
        status, review = _outcome(rng, (ctx.as_of - plan.end).days)
        handled_on = day + dt.timedelta(days=rng.randrange(2, 13))
        if status == "received" or handled_on >= ctx.as_of - dt.timedelta(days=3):
            return None
        district = plan.district
        staff, head = rng.choice(lead.staff), lead.heads[0]
        handled = aware(handled_on, 15, rng.randrange(60))
        truth = TRUTH.get(template.truth, "true")
        result: dict[str, Any] = {
            "investigation": vocab.relocate(template.investigation, district.name, rec.values["region_text"],
                                            template.township) or "经现场核查，反映问题基本属实。",
            "status": status,
        }
        if status != "investigating":
            result.update(
                truthfulness=truth, accountability=template.accountability or "无",
                handling=vocab.relocate(template.handling, district.name, rec.values["region_text"], template.township)
                or "已责令限期整改，整改完成。",
            )
            if truth != "false":
                for name, value in template.counters.items():
                    if name == "fine_amount":
                        result[name] = Decimal(int(value * rng.uniform(0.5, 2)) // 100 * 100).quantize(ZERO)
                    else:
                        result[name] = value
            if status == "done":
                result["done_at"] = handled_on
        before = {name: rec.values[name] for name in (*RESULT_FIELDS, "review_status")}
        files = []
        if result.get("truthfulness") == "false" or rng.random() < 0.25:
            category = "other" if result.get("truthfulness") == "false" else rng.choice(("after_photo", "penalty"))
            files.append(evidence(ctx, at=handled - dt.timedelta(minutes=10), uploader=staff, org=lead,
                                  category=category, complaint_id=rec.id, centre=district.centre))
        rec.set(**result, version=2, updated_at=handled)
        town = rec.values["region_text"]
        rec.values["search_text"] = vocab.search_text(
            (rec.values["acceptance_number"].lower(),), self.summary_words.pop(rec.id), town,
            rec.values["pollution_text"], vocab.moved_words(template.investigation, district.name, town, template.township),
            vocab.moved_words(template.handling, district.name, town, template.township))
        after = {name: rec.values[name] for name in (*RESULT_FIELDS, "review_status")}
        changes = {k: [before[k], after[k]] for k in sorted(after) if before[k] != after[k]}
        for file in files:
            file.write(ctx)
            event(file.values["uploaded_at"], staff, "evidence.uploaded", evidence_event_data(file), file)
        event(handled, staff, "complaint.handled", {"changes": changes, "evidence": [f.id for f in files]})
        if review == "draft":
            return None
        submitted = handled + dt.timedelta(hours=2)
        self.submit(rec, head, submitted, event, 3)
        if review == "submitted":
            return None
        reviewed = submitted + dt.timedelta(days=rng.randrange(1, 4))
        if review == "returned" or rng.random() < 0.05:
            note = "请补充调查核实的具体情况和整改完成时间。"
            rec.set(review_status="returned", review_note=note, version=4, updated_at=reviewed)
            event(reviewed, self.office, "complaint.returned",
                  {"changes": {"review_status": ["submitted", "returned"]}, "note": note})
            if review == "returned":
                return None
            fixed = reviewed + dt.timedelta(days=1)
            remarks = "已按审核意见补充完善。"
            rec.set(remarks=remarks, version=5, updated_at=fixed)
            event(fixed, staff, "complaint.handled", {"changes": {"remarks": ["", remarks]}, "evidence": []})
            self.submit(rec, head, fixed + dt.timedelta(hours=1), event, 6)
            reviewed = fixed + dt.timedelta(days=1)
        if reviewed.astimezone(ctx.tz).date() >= ctx.as_of:
            return None
        rec.set(review_status="approved", review_note="", version=rec.values["version"] + 1, updated_at=reviewed)
        event(reviewed, self.office, "complaint.approved",
              {"changes": {"review_status": ["submitted", "approved"]}, "note": ""})
        return reviewed

    @staticmethod
    def submit(rec: Rec, head: Actor, at: dt.datetime, event: Any, version: int) -> None:
        before = rec.values["review_status"]
        rec.set(review_status="submitted", version=version, updated_at=at)
        event(at, head, "complaint.submitted", {"changes": {"review_status": [before, "submitted"]}})

    def publish(self, rec: Rec, at: dt.datetime, batch_id: int) -> int:
        v = rec.values
        name, contact, identity = self.people.pop(rec.id)
        case = _Case(v)
        masker: Masker = self.masker
        if name and name in case.summary:  # not generated so, but then the complainant's strings count
            masker = Masker(complainant_strings(Complainant(name=name, contact=contact, id_number=identity)))
        row = published_row(case, masker.begin())  # type: ignore[arg-type]
        spots = len(masker.spots)
        rec.set(published_data=Json(_json(row)), published_at=at, updated_at=max(v["updated_at"], at))
        self.ctx.log.record(key=f"complaint:{rec.id}", at=at, actor=self.office, verb="complaint.published",
                            object_type="complaint", object_id=rec.id, object_repr=v["acceptance_number"],
                            data={"batch": batch_id, "published_at": at, "masked_spots": spots},
                            states=(rec.state,) if rec.state else ())
        return spots


class _RememberingMasker(Masker):
    """A masker without private strings that remembers what it made of each text: generated texts
    repeat (a template placed in a township), and masking one is a few regular expressions."""

    def __init__(self) -> None:
        super().__init__({})
        self._seen: dict[tuple[str, str | None], tuple[str, list[Any]]] = {}

    def __call__(self, column: str, text: str | None) -> str:
        key = (column, text)
        seen = self._seen.get(key)
        if seen is None:
            before = len(self.spots)
            seen = (super().__call__(column, text), self.spots[before:])
            if len(self._seen) < 20_000:
                self._seen[key] = seen
        else:
            self.spots.extend(seen[1])
        return seen[0]


class _Region:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Case:
    """What `published_row` reads of a case, without building a model instance for each one."""

    merged_into_id = None
    merged_into = None

    def __init__(self, v: dict[str, Any]) -> None:
        self.sequence = v["sequence"]
        self.acceptance_number = v["acceptance_number"]
        self.is_priority = v["is_priority"]
        self.summary = v["summary"]
        self.region_id = v["region_id"]
        self.region = _Region(v["region_text"])
        self.region_text = v["region_text"]
        self.pollution_types = _json_load(v["pollution_types"])
        self.pollution_subtypes = _json_load(v["pollution_subtypes"])
        self.pollution_text = v["pollution_text"]
        self.investigation = v["investigation"]
        self.truthfulness = v["truthfulness"]
        self.handling = v["handling"]
        self.status = v["status"]
        self.accountability = v["accountability"]

    def get_truthfulness_display(self) -> str:
        return str(Truthfulness(self.truthfulness).label) if self.truthfulness else ""


def _json_load(text: str) -> Any:
    import json

    return json.loads(text)


def build_complaints(ctx: Context, plan: PlanInfo) -> None:
    _Inspection(ctx, plan).run()
    ctx.log.close_chains()
