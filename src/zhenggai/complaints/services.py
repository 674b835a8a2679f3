"""Writes to complaint cases (DOMAIN §4). Each service locks the case row, checks the actor's right
(`policies`) and the case's state, saves, writes its event on the case's chain in the same transaction
and queues notifications on commit. Hidden cases raise NotFound, as missing ones do.

Lifecycle: 已交办 received → 办理中 investigating → 阶段性办结 stage_done → 已办结 done; the handling
unit's result goes to the office for review (draft → submitted → approved | returned) before anything
is published. A conclusion of 不属实 needs at least one evidence file of the case.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Role, User
from zhenggai.accounts.policies import scope_for, user_has_role, user_region
from zhenggai.core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import diff, event_record
from zhenggai.core.search import search_document
from zhenggai.evidence.services import evidence_store, remove_written_files
from zhenggai.portal.caching import public_data_changed

from . import policies
from .models import (
    Complainant,
    Complaint,
    ComplaintLookBack,
    ComplaintStatus,
    HandoverBatch,
    PollutionType,
    ReviewStatus,
    Truthfulness,
)
from .numbers import parse_acceptance_number
from .selectors import RED, YELLOW, annotate_complaint_warning, complaint_warning, repeat_candidates, today
from .statistics import COUNTER_FIELDS, COUNTERS

__all__ = [
    "COUNTERS", "complaint_assign", "complaint_create", "complaint_evidence_create", "complaint_handle",
    "complaint_link_repeat", "complaint_lookback_record", "complaint_lookback_schedule", "complaint_merge",
    "complaint_review", "complaint_submit", "complaint_warning", "complaints_remind", "register_schedules",
    "repeat_candidates",
]

TEXT_FIELDS = ("investigation", "handling_goal", "handling", "accountability", "remarks")
RESULT_FIELDS = (*TEXT_FIELDS, "truthfulness", "status", "done_at", *COUNTER_FIELDS)
# the largest enforcement counter and fine (the API's limits; the columns hold more, not unboundedly more)
COUNTER_MAX = 1_000_000
FINE_MAX = Decimal("999999999999.99")
# what the handling unit may set as 是否办结 (未办结 is "investigating")
HANDLING_STATUSES: tuple[str, ...] = (ComplaintStatus.INVESTIGATING, ComplaintStatus.STAGE_DONE, ComplaintStatus.DONE)
STATUS_WORDS: dict[str, str] = {"未办结": ComplaintStatus.INVESTIGATING, "阶段性办结": ComplaintStatus.STAGE_DONE,
                "已办结": ComplaintStatus.DONE, "办理中": ComplaintStatus.INVESTIGATING,
                "已交办": ComplaintStatus.RECEIVED}
NUMBER_PARTS = ("channel", "number_round", "number_province", "received_date", "number_serial")
REMIND_FUNC = "zhenggai.complaints.services.complaints_remind"


# ------------------------------------------------------------------------------------------- helpers


def _is_office_for(actor: Any, batch: HandoverBatch) -> bool:
    region = user_region(actor)
    return (user_has_role(actor, Role.OFFICE) and region is not None
            and batch.inspection.target_region.path.startswith(region.path))


def _lock(actor: Any, complaint: Complaint) -> Complaint:
    """The case's row, locked; NotFound when the actor cannot see it."""
    if not policies.is_privileged(actor) and not policies.may_see(actor, complaint):
        raise NotFound()
    return (Complaint.objects.select_for_update(of=("self",))
            .select_related("inspection__target_region", "lead_unit", "batch").get(pk=complaint.pk))


def _refresh(complaint: Complaint, locked: Complaint) -> Complaint:
    """Copy the saved state onto the caller's instance, so that it does not hold stale values."""
    for field in Complaint._meta.concrete_fields:
        setattr(complaint, field.attname, getattr(locked, field.attname))
    return complaint


def _search_text(c: Complaint) -> str:
    region = c.region.name if c.region_id and c.region else ""
    return search_document(c.acceptance_number, c.summary, region, c.region_text, c.pollution_text,
                           c.investigation, c.handling)


def _choice(value: Any, choices: Any, words: Mapping[str, str], field: str, message: str) -> str:
    text = str(value or "").strip()
    if not text:
        return ""
    if text in choices.values:
        return text
    labels = {str(label): v for v, label in choices.choices}
    found = words.get(text) or labels.get(text)
    if found is None:
        raise ValidationFailed(message, field=field)
    return found


def field_label(name: str) -> str:
    return str(getattr(Complaint._meta.get_field(name), "verbose_name", name))


def _counter(name: str, value: Any) -> int | Decimal:
    label = field_label(name)
    try:
        number = Decimal(str(value if value not in (None, "") else 0).replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationFailed(_("“%(label)s”必须是数字。") % {"label": label}, field=name) from exc
    if number < 0 or not number.is_finite():
        raise ValidationFailed(_("“%(label)s”不能为负数。") % {"label": label}, field=name)
    limit = FINE_MAX if name == "fine_amount" else COUNTER_MAX
    if number > limit:  # beyond what the columns hold (a database error otherwise)
        raise ValidationFailed(_("“%(label)s”不能大于 %(max)s。") % {"label": label, "max": limit}, field=name)
    if name == "fine_amount":
        return number.quantize(Decimal("0.01"))
    if number != number.to_integral_value():
        raise ValidationFailed(_("“%(label)s”必须是整数。") % {"label": label}, field=name)
    return int(number)


def _apply_result(c: Complaint, data: dict[str, Any], *, on: dt.date) -> None:
    """Set the handling result fields present in `data` on `c` (validated)."""
    for name in TEXT_FIELDS:
        if name in data:
            setattr(c, name, str(data[name] or "").strip())
    if "truthfulness" in data:
        c.truthfulness = _choice(data["truthfulness"], Truthfulness, {}, "truthfulness", _("请选择是否属实。"))
    for name in COUNTER_FIELDS:
        if name in data:
            setattr(c, name, _counter(name, data[name]))
    if data.get("status"):
        c.status = _choice(data["status"], ComplaintStatus, STATUS_WORDS, "status", _("请选择办结情况。"))
    if c.status == ComplaintStatus.DONE:
        c.done_at = data.get("done_at") or c.done_at or on
    else:
        c.done_at = None


def _snapshot(c: Complaint, fields: Iterable[str]) -> dict[str, Any]:
    return {f: getattr(c, f) for f in fields}


def _unit_users(unit_ids: Iterable[int | None]) -> dict[int, list[User]]:
    """Active unit staff and heads of each unit, in one query."""
    ids = {pk for pk in unit_ids if pk}
    found: dict[int, list[User]] = {pk: [] for pk in ids}
    users = User.objects.filter(is_active=True, organization_id__in=ids,
                                roles__role__in=[Role.UNIT_STAFF, Role.UNIT_HEAD]).distinct()
    for user in users:
        found[user.organization_id].append(user)  # type: ignore[index]
    return found


def _office_users(c: Complaint) -> Any:
    path = c.inspection.target_region.path
    ancestors = [path[: i + 1] for i, ch in enumerate(path) if ch == "/" and i]
    return User.objects.filter(is_active=True, roles__role=Role.OFFICE, organization__region__path__in=ancestors)


def _url(c: Complaint) -> str:
    return f"/complaints/{c.pk}/"


def _notify_unit(c: Complaint, kind: str, title: str, key: str, body: str = "") -> None:
    from zhenggai.notifications.services import notify

    users = _unit_users([c.lead_unit_id]).get(c.lead_unit_id or 0, [])
    notify(users=users, kind=kind, title=title % {"n": c.acceptance_number}, body=body, url=_url(c), key=key)


def _notify_office(c: Complaint, kind: str, title: str, key: str) -> None:
    from zhenggai.notifications.services import notify

    notify(users=_office_users(c), kind=kind, title=title % {"n": c.acceptance_number}, url=_url(c), key=key)


# ------------------------------------------------------------------------------------- registration


def complaint_create(*, actor: Any, batch: HandoverBatch, data: dict[str, Any]) -> Complaint:
    """Register a case handed over in `batch`. The office of the inspection's region only.

    `data`: acceptance_number and summary (required); sequence (default: next in the batch); region
    (a Region) and region_text; pollution_types (PollutionType values), pollution_subtypes,
    pollution_text; is_priority (also taken from a trailing *, (*) or ★ of the number); channel and
    the number parts (parsed from a central-pattern number when not given); lead_unit and
    cooperating_units; reply_deadline (default: handover date + batch.reply_days); complainant
    ({"name", "contact", "id_number"}, kept apart); remarks, is_sample; and, for cases imported from a
    published table, the result fields of `complaint_handle` (taken as published).

    Side effects: a `complaint.created` event (without the complainant), the lead unit is notified.
    """
    if not (policies.is_privileged(actor) or _is_office_for(actor, batch)):
        raise PermissionDenied(_("只有督察整改办可以登记信访件。"))
    with transaction.atomic():
        complaint = _create(actor=actor, batch=batch, data=data, verb="complaint.created")
    return complaint


def _create(*, actor: Any, batch: HandoverBatch, data: dict[str, Any], verb: str) -> Complaint:
    raw_number = str(data.get("acceptance_number") or "").strip()
    summary = str(data.get("summary") or "").strip()
    if not raw_number:
        raise ValidationFailed(_("请填写受理编号。"), field="acceptance_number")
    if not summary:
        raise ValidationFailed(_("请填写交办问题基本情况。"), field="summary")
    parsed = parse_acceptance_number(raw_number)
    number = parsed.clean
    if Complaint.objects.filter(inspection_id=batch.inspection_id, acceptance_number=number).exists():
        raise ValidationFailed(_("受理编号 %(n)s 在本次督察中已经登记。") % {"n": number},
                               field="acceptance_number")
    types = list(dict.fromkeys(data.get("pollution_types") or []))
    unknown = [t for t in types if t not in PollutionType.values]
    if unknown:
        raise ValidationFailed(_("未知的污染类型：%(t)s。") % {"t": "、".join(map(str, unknown))},
                               field="pollution_types")
    parts: dict[str, Any] = {"channel": parsed.channel, "number_round": parsed.round,
                             "number_province": parsed.province, "received_date": parsed.received_date,
                             "number_serial": parsed.serial}
    parts.update({k: data[k] for k in NUMBER_PARTS if k in data})
    sequence = data.get("sequence") or (
        (Complaint.objects.filter(batch=batch).order_by("-sequence").values_list("sequence", flat=True).first() or 0)
        + 1)
    lead_unit = data.get("lead_unit")
    cooperating = [u for u in data.get("cooperating_units") or () if u != lead_unit]
    c = Complaint(
        batch=batch, inspection_id=batch.inspection_id, sequence=sequence, acceptance_number=number,
        is_priority=bool(data.get("is_priority")) or parsed.is_priority, summary=summary, region=data.get("region"),
        region_text=str(data.get("region_text") or "").strip(), pollution_types=types,
        pollution_subtypes=list(data.get("pollution_subtypes") or []),
        pollution_text=str(data.get("pollution_text") or "").strip(), lead_unit=lead_unit,
        reply_deadline=data.get("reply_deadline") or batch.handed_over + dt.timedelta(days=batch.reply_days),
        is_sample=bool(data.get("is_sample")), location_lat=data.get("location_lat"),
        location_lon=data.get("location_lon"), **parts,
    )
    _apply_result(c, {k: v for k, v in data.items() if k in RESULT_FIELDS}, on=today())
    c.search_text = _search_text(c)
    c.save()
    c.cooperating_units.set(cooperating)
    person: dict[str, Any] = data.get("complainant") or {}
    if any(person.get(k) for k in ("name", "contact", "id_number")):
        Complainant.objects.create(complaint=c, name=str(person.get("name") or "").strip()[:60],
                                   contact=str(person.get("contact") or "").strip()[:100],
                                   id_number=str(person.get("id_number") or "").strip()[:30])
    event_record(actor=actor, verb=verb, obj=c, data={
        "batch": batch.pk, "acceptance_number": number, "is_priority": c.is_priority,
        "lead_unit": c.lead_unit_id, "cooperating_units": [u.pk for u in cooperating],
        "reply_deadline": c.reply_deadline, "status": c.status,
    })
    if lead_unit is not None:
        transaction.on_commit(lambda: _notify_unit(c, "complaint_assigned", _("新交办信访件：%(n)s"),
                                                   key=f"complaint-assigned:{c.pk}:{c.lead_unit_id}"))
    return c


def complaint_assign(*, actor: Any, complaint: Complaint, lead_unit: Organization,
                     cooperating_units: Sequence[Organization] = ()) -> Complaint:
    """The office (re)assigns the lead handling unit and the cooperating units. The new lead unit is
    notified. Refused for a case merged into another one (it is handled there)."""
    if lead_unit is None:
        raise ValidationFailed(_("请选择牵头办理单位。"), field="lead_unit")
    with transaction.atomic():
        locked = _lock(actor, complaint)
        if not policies.may_manage(actor, locked):
            raise PermissionDenied(_("只有督察整改办可以交办信访件。"))
        if locked.merged_into_id:
            raise DomainError(_("该件已合并办理，不能单独交办。"))
        units = [lead_unit, *cooperating_units]
        if not policies.is_privileged(actor) and scope_for(actor, Organization.objects.filter(
                pk__in=[u.pk for u in units])).count() != len({u.pk for u in units}):
            raise ValidationFailed(_("只能交办给本地区的单位。"), field="lead_unit")
        cooperating = list(dict.fromkeys(u for u in cooperating_units if u.pk != lead_unit.pk))
        before = {"lead_unit": locked.lead_unit_id,
                  "cooperating_units": sorted(locked.cooperating_units.values_list("pk", flat=True))}
        after = {"lead_unit": lead_unit.pk, "cooperating_units": sorted(u.pk for u in cooperating)}
        changes = diff(before, after)
        if not changes:
            return _refresh(complaint, locked)
        locked.lead_unit = lead_unit
        locked.version += 1
        locked.save(update_fields=["lead_unit", "version", "updated_at"])
        locked.cooperating_units.set(cooperating)
        event_record(actor=actor, verb="complaint.assigned", obj=locked, data={"changes": changes})
        if "lead_unit" in changes:
            transaction.on_commit(lambda: _notify_unit(locked, "complaint_assigned", _("新交办信访件：%(n)s"),
                                                       key=f"complaint-assigned:{locked.pk}:{lead_unit.pk}"))
    return _refresh(complaint, locked)


# ---------------------------------------------------------------------------------------- handling


def complaint_handle(*, actor: Any, complaint: Complaint, data: dict[str, Any],
                     files: Sequence[Any] = (), evidence_category: str = "statement",
                     expected_version: int | None = None) -> Complaint:
    """The lead unit (or the office) records the investigation and result: the keys of `data` among
    investigation, truthfulness, handling_goal, handling, accountability, remarks, status (办理中 /
    阶段性办结 / 已办结, also as those words), done_at and the enforcement counters; keys left out are
    kept. `files` are stored as evidence of the case first.

    Rules: refused while the result awaits review and for a case merged into another; 不属实 needs at
    least one evidence file of the case; 已办结 sets done_at (today unless given), other statuses clear
    it; the first handling moves 已交办 to 办理中; changing an approved result returns it to draft.
    `expected_version`: the version the handling form was built from; when the case has changed since,
    `Conflict` is raised and nothing is written (no silent overwrite of another person's handling).
    Side effects: `complaint.handled` event with the changes; evidence events per file.
    """
    from zhenggai.evidence.models import Evidence

    written: list[str | None] = []
    try:
        with transaction.atomic():
            locked = _lock(actor, complaint)
            if not policies.may_handle(actor, locked):
                raise PermissionDenied(_("只有牵头办理单位的经办人、负责人或督察整改办可以填写办理情况。"))
            if expected_version is not None and expected_version != locked.version:
                raise Conflict(_("该信访件已被他人修改（当前版本 %(v)s），请刷新后重新填写。") % {"v": locked.version})
            if locked.merged_into_id:
                raise DomainError(_("该件已合并至 %(n)s 办理，请在主件中填写办理情况。")
                                  % {"n": locked.merged_into.acceptance_number if locked.merged_into else ""})
            if locked.review_status == ReviewStatus.SUBMITTED:
                raise DomainError(_("办理结果已提交审核，审核完成前不能修改。"))
            status = data.get("status")
            if status and _choice(status, ComplaintStatus, STATUS_WORDS, "status",
                                  _("请选择办结情况。")) not in HANDLING_STATUSES:
                raise ValidationFailed(_("请选择办结情况。"), field="status")
            fields = [*RESULT_FIELDS, "review_status"]
            before = _snapshot(locked, fields)
            _apply_result(locked, {k: v for k, v in data.items() if k in RESULT_FIELDS}, on=today())
            if locked.status == ComplaintStatus.RECEIVED:
                locked.status = ComplaintStatus.INVESTIGATING
            stored = evidence_store(actor=actor, complaint=locked, files=files, category=evidence_category,
                                    written=written) if files else []
            if locked.truthfulness == Truthfulness.FALSE and not Evidence.objects.filter(complaint=locked).exists():
                raise ValidationFailed(_("结论为“不属实”的，必须上传调查核实的佐证材料。"), field="truthfulness")
            changes = diff(before, _snapshot(locked, fields))
            if changes and locked.review_status == ReviewStatus.APPROVED:
                locked.review_status = ReviewStatus.DRAFT
                changes = diff(before, _snapshot(locked, fields))
            if changes or stored:
                locked.version += 1
                locked.search_text = _search_text(locked)
                locked.save()
                event_record(actor=actor, verb="complaint.handled", obj=locked,
                             data={"changes": changes, "evidence": [e.pk for e in stored]})
    except BaseException:
        remove_written_files(written)
        raise
    return _refresh(complaint, locked)


def complaint_evidence_create(*, actor: Any, complaint: Complaint, files: Sequence[Any],
                              category: str, description: str = "") -> list[Any]:
    """Store uploaded files as evidence of the case, all or nothing. Who: as `complaint_handle`. Each
    file goes through the evidence module's checks (`evidence.files.inspect_upload`: type by content,
    size, image decoding); EvidenceRefused names every refused file. One `evidence.uploaded` event per
    file on the case's chain."""
    written: list[str | None] = []
    try:
        with transaction.atomic():
            locked = _lock(actor, complaint)
            if not policies.may_handle(actor, locked):
                raise PermissionDenied(_("只有牵头办理单位的经办人、负责人或督察整改办可以上传佐证材料。"))
            return evidence_store(actor=actor, complaint=locked, files=files, category=category,
                                  description=description, written=written)
    except BaseException:
        remove_written_files(written)
        raise


def complaint_submit(*, actor: Any, complaint: Complaint) -> Complaint:
    """The unit head of the lead unit (or the office) sends the result to the office for review.
    Needs the investigation, 是否属实 and the handling filled in, a status past 已交办, and evidence for
    不属实. The office is notified."""
    from zhenggai.evidence.models import Evidence

    with transaction.atomic():
        locked = _lock(actor, complaint)
        if not policies.may_submit(actor, locked):
            raise PermissionDenied(_("只有牵头办理单位负责人可以提交办理结果。"))
        if locked.review_status not in (ReviewStatus.DRAFT, ReviewStatus.RETURNED):
            raise DomainError(_("办理结果当前为“%(s)s”，不能提交。") % {"s": locked.get_review_status_display()})
        missing = [field_label(f) for f in ("investigation", "truthfulness", "handling") if not getattr(locked, f)]
        if missing:
            raise ValidationFailed(_("请先填写：%(f)s。") % {"f": "、".join(missing)})
        if locked.status == ComplaintStatus.RECEIVED:
            raise ValidationFailed(_("请先填写办结情况。"), field="status")
        if locked.truthfulness == Truthfulness.FALSE and not Evidence.objects.filter(complaint=locked).exists():
            raise ValidationFailed(_("结论为“不属实”的，必须上传调查核实的佐证材料。"), field="truthfulness")
        before = locked.review_status
        locked.review_status = ReviewStatus.SUBMITTED
        locked.version += 1
        locked.save(update_fields=["review_status", "version", "updated_at"])
        event_record(actor=actor, verb="complaint.submitted", obj=locked,
                     data={"changes": {"review_status": [before, locked.review_status]}})
        transaction.on_commit(lambda: _notify_office(locked, "complaint_submitted", _("信访件办理结果待审核：%(n)s"),
                                                     key=f"complaint-submitted:{locked.pk}:{locked.version}"))
    return _refresh(complaint, locked)


def complaint_review(*, actor: Any, complaint: Complaint, approve: bool, note: str = "") -> Complaint:
    """The office approves the submitted result (it may then be published) or returns it with a note
    that the lead unit sees. The lead unit is notified."""
    note = (note or "").strip()
    with transaction.atomic():
        locked = _lock(actor, complaint)
        if not policies.may_manage(actor, locked):
            raise PermissionDenied(_("只有督察整改办可以审核办理结果。"))
        if locked.review_status != ReviewStatus.SUBMITTED:
            raise DomainError(_("没有待审核的办理结果。"))
        if not approve and not note:
            raise ValidationFailed(_("退回必须写明理由。"), field="note")
        locked.review_status = ReviewStatus.APPROVED if approve else ReviewStatus.RETURNED
        locked.review_note = note
        locked.version += 1
        locked.save(update_fields=["review_status", "review_note", "version", "updated_at"])
        event_record(actor=actor, verb="complaint.approved" if approve else "complaint.returned", obj=locked,
                     data={"changes": {"review_status": [ReviewStatus.SUBMITTED, locked.review_status]},
                           "note": note})
        title = _("信访件办理结果审核通过：%(n)s") if approve else _("信访件办理结果被退回：%(n)s")
        transaction.on_commit(lambda: _notify_unit(locked, "complaint_reviewed", title, body=note,
                                                   key=f"complaint-reviewed:{locked.pk}:{locked.version}"))
    return _refresh(complaint, locked)


# ------------------------------------------------------------------------------- repeats and merges


def _other_case(actor: Any, locked: Complaint, other: Complaint) -> Complaint:
    if other.pk == locked.pk:
        raise ValidationFailed(_("不能关联本件自身。"), field="other")
    if not policies.is_privileged(actor) and not policies.may_see(actor, other):
        raise NotFound()
    return Complaint.objects.select_related("merged_into").get(pk=other.pk)


def complaint_link_repeat(*, actor: Any, complaint: Complaint, other: Complaint | None) -> Complaint:
    """The office marks the case as a repeat of an earlier case `other` (是否重复 / 重复关联件编号), or
    removes the mark with other=None. Refused when `other` is (through its own links) a repeat of this
    case."""
    with transaction.atomic():
        locked = _lock(actor, complaint)
        if not policies.may_manage(actor, locked):
            raise PermissionDenied(_("只有督察整改办可以关联重复件。"))
        target = _other_case(actor, locked, other) if other is not None else None
        seen: set[int] = set()
        step = target
        while step is not None and step.pk not in seen:
            if step.repeat_of_id == locked.pk:
                raise ValidationFailed(_("%(n)s 已是本件的重复件，不能反向关联。") % {"n": target.acceptance_number},  # type: ignore[union-attr]
                                       field="other")
            seen.add(step.pk)
            step = step.repeat_of
        before = locked.repeat_of_id
        if before == (target.pk if target else None):
            return _refresh(complaint, locked)
        locked.repeat_of = target
        locked.version += 1
        locked.save(update_fields=["repeat_of", "version", "updated_at"])
        event_record(actor=actor, verb="complaint.repeat_linked" if target else "complaint.repeat_unlinked",
                     obj=locked, data={"changes": {"repeat_of": [before, locked.repeat_of_id]},
                                       "number": target.acceptance_number if target else ""})
    return _refresh(complaint, locked)


def complaint_merge(*, actor: Any, complaint: Complaint, into: Complaint) -> Complaint:
    """The office merges the case into the main case `into` (合并编号): it is handled and answered there,
    keeps no warning of its own and counts as a repeat of `into`. `into` may not itself be merged, and
    a case that other cases are merged into cannot be merged."""
    with transaction.atomic():
        locked = _lock(actor, complaint)
        if not policies.may_manage(actor, locked):
            raise PermissionDenied(_("只有督察整改办可以合并信访件。"))
        target = _other_case(actor, locked, into)
        if target.merged_into_id:
            raise ValidationFailed(_("%(n)s 已合并至其他件，请合并至主件。") % {"n": target.acceptance_number},
                                   field="other")
        if Complaint.objects.filter(merged_into=locked).exists():
            raise ValidationFailed(_("已有其他件合并至本件，不能再合并。"), field="other")
        if locked.merged_into_id == target.pk:
            return _refresh(complaint, locked)
        before = _snapshot(locked, ("merged_into_id", "repeat_of_id"))
        locked.merged_into = target
        if locked.repeat_of_id is None:
            locked.repeat_of = target
        locked.version += 1
        locked.save(update_fields=["merged_into", "repeat_of", "version", "updated_at"])
        event_record(actor=actor, verb="complaint.merged", obj=locked,
                     data={"changes": diff(before, _snapshot(locked, ("merged_into_id", "repeat_of_id"))),
                           "number": target.acceptance_number})
    return _refresh(complaint, locked)


# -------------------------------------------------------------------------------------- look-backs


def complaint_lookback_schedule(*, actor: Any, complaint: Complaint, scheduled_date: dt.date) -> ComplaintLookBack:
    """The office schedules a 回头看 of a case that is 已办结."""
    with transaction.atomic():
        locked = _lock(actor, complaint)
        if not policies.may_manage(actor, locked):
            raise PermissionDenied()
        if locked.status != ComplaintStatus.DONE:
            raise DomainError(_("只有已办结的信访件才能开展回头看。"))
        look_back = ComplaintLookBack.objects.create(complaint=locked, scheduled_date=scheduled_date, created_by=actor)
        event_record(actor=actor, verb="lookback.scheduled", obj=locked,
                     data={"lookback": look_back.pk, "date": scheduled_date})
    return look_back


def complaint_lookback_record(*, actor: Any, look_back: ComplaintLookBack, result: str, notes: str) -> ComplaintLookBack:
    """Record the result of a look-back. `rebound` registers a new case in the same batch, numbered
    "<old number>-回头看", with the same units and region, linked through `rebound_of`, due
    batch.reply_days after today; the old case stays 已办结."""
    if result not in ("held", "rebound"):
        raise ValidationFailed(_("请选择回头看结果。"), field="result")
    if not (notes or "").strip():
        raise ValidationFailed(_("请填写核查情况。"), field="notes")
    with transaction.atomic():
        row = ComplaintLookBack.objects.select_for_update().get(pk=look_back.pk)
        old = _lock(actor, row.complaint)
        if not policies.may_manage(actor, old):
            raise PermissionDenied()
        if row.done:
            raise DomainError(_("该回头看已经记录结果。"))
        row.done, row.result, row.notes = True, result, notes.strip()
        if result == "rebound":
            row.rebound_complaint = _rebound(actor, old, row.notes)
        row.save()
        event_record(actor=actor, verb="lookback.recorded", obj=old,
                     data={"lookback": row.pk, "result": result, "rebound_complaint": row.rebound_complaint_id})
    return row


def _rebound(actor: Any, old: Complaint, notes: str) -> Complaint:
    base = f"{parse_acceptance_number(old.acceptance_number).clean}-回头看"
    number, n = base, 1
    while Complaint.objects.filter(inspection_id=old.inspection_id, acceptance_number=number).exists():
        n += 1
        number = f"{base}{n}"
    new = _create(actor=actor, batch=old.batch, verb="complaint.rebound_created", data={
        "acceptance_number": number, "is_priority": old.is_priority,
        "summary": _("【回头看发现反弹】%(notes)s\n原件：%(summary)s") % {"notes": notes, "summary": old.summary},
        "region": old.region, "region_text": old.region_text, "pollution_types": old.pollution_types,
        "pollution_subtypes": old.pollution_subtypes, "pollution_text": old.pollution_text,
        "lead_unit": old.lead_unit, "cooperating_units": list(old.cooperating_units.all()),
        "reply_deadline": today() + dt.timedelta(days=old.batch.reply_days), "is_sample": old.is_sample,
    })
    Complaint.objects.filter(pk=new.pk).update(rebound_of=old)
    public_data_changed()  # an update() sends no signal: the portal's fingerprint must still move
    new.rebound_of = old
    return new


# --------------------------------------------------------------------------------------------- jobs


def complaints_remind(on: dt.date | None = None) -> dict[str, int]:
    """The daily job: notify the unit staff and heads of each lead unit of its yellow and red cases
    (see `selectors` for the levels), as the system actor. Idempotent: one message per case, level and
    day (notification key), and a `complaint.reminded` event only when a message was new."""
    from zhenggai.core.actors import system_actor
    from zhenggai.notifications.services import notify

    on = on or today()
    cases = list(
        annotate_complaint_warning(Complaint.objects.filter(lead_unit__isnull=False), on)
        .filter(warning__in=[RED, YELLOW])  # type: ignore[misc]
        .select_related("lead_unit").order_by("reply_deadline", "pk")
    )
    users = _unit_users(c.lead_unit_id for c in cases)
    counts = {RED: 0, YELLOW: 0, "notifications": 0}
    actor = None
    titles = {RED: _("信访件已超期未办结：%(n)s"), YELLOW: _("信访件即将到期：%(n)s")}
    for c in cases:
        level = c.warning  # type: ignore[attr-defined]
        counts[level] += 1
        body = _("反馈期限：%(d)s") % {"d": f"{c.reply_deadline:%Y-%m-%d}"}
        created = notify(users=users.get(c.lead_unit_id or 0, []), kind=f"complaint_{level}",
                         title=titles[level] % {"n": c.acceptance_number}, body=body, url=_url(c),
                         key=f"complaint-remind:{c.pk}:{level}:{on:%Y-%m-%d}")
        if created:
            actor = actor or system_actor()
            event_record(actor=actor, verb="complaint.reminded", obj=c, data={"level": level, "on": on})
        counts["notifications"] += created
    return counts


def register_schedules() -> None:
    """The daily reminder at 08:20 (django-q2 schedule "complaints-remind"), created or updated by name."""
    from zhenggai.core.schedules import daily

    daily("complaints-remind", REMIND_FUNC, hour=8, minute=20)
