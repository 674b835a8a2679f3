"""Stage 3, part 2: each task lived through, in time order, as the services would have recorded it.

Steps (each with the event its service writes, on the task's chain, with the digests of the key records
it touched): task.created; per round and implementing unit a progress report drafted and submitted by
the unit's staff (with evidence now and then) and approved by its head (the first approval starts the
task); warnings from the daily job (yellow when the deadline is near, red once it is past, green once
accepted) and a supervision notice for many red tasks; the application for acceptance with evidence,
the review (sometimes a return first), the public notice with the odd objection, and the closure. What
lies after the reference date does not happen: that is what leaves tasks in every status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import translation

from zhenggai.rectification.workflow import DeadlineKind, TaskStatus

from . import vocab
from .bulk import Json, _json, aware
from .context import Actor, Context, Org, plus_working_days, yellow_from
from .records import Rec, evidence, evidence_event_data
from .tasks import Round, TaskDef

ACCEPTED = (TaskStatus.IN_PUBLIC_NOTICE, TaskStatus.CLOSED)
WORKING = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
CRITERIA = {"measures": True, "solved": True, "mechanism": True, "conduct": True, "records": True}
DAY = dt.timedelta(days=1)


def _t(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return aware(day, hour, minute)


def _stage(percent: int) -> str:
    if percent >= 100:
        return "done"
    if percent >= 70:
        return "mostly_done"
    if percent >= 20:
        return "advancing"
    return "preparing"


class TaskLife:
    """One task's history. `run()` emits events and rows; `warning` etc. hold the stored results."""

    def __init__(self, ctx: Context, task: TaskDef, rounds: list[Round], yellow_days: int) -> None:
        self.ctx = ctx
        self.t = task
        self.rounds = rounds
        self.yellow_days = yellow_days
        self.steps: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        self.order = 0
        self.office: Actor = task.plan.district.office_users[0]
        self.reports: list[Rec] = []
        self.approved_reports: list[tuple[dt.datetime, int, int]] = []  # (approved at, id, percent)
        self.pending_round: dict[int, set[int]] = {}  # open round id → units without an approved report
        self.rows: list[Rec] = []
        self.links: list[tuple[Any, str, dict[str, Any]]] = []
        self.warning = "green"
        self.warning_since = task.created
        self.counts = {"yellow": 0, "red": 0}
        self.last_change: dt.datetime | None = None

    # -------------------------------------------------------------------------------- plumbing

    def at(self, when: dt.datetime, action: Callable[[], None]) -> None:
        self.order += 1
        self.steps.append((when, self.order, action))

    def event(self, when: dt.datetime, actor: Actor, verb: str, data: dict[str, Any], *recs: Rec,
              obj: tuple[str, int, str] | None = None) -> None:
        object_type, object_id, object_repr = obj or ("task", self.t.id, self.repr)
        states = tuple(r.state for r in (self.task, *recs) if r.state is not None)
        self.ctx.log.record(key=f"task:{self.t.id}", at=when, actor=actor, verb=verb, object_type=object_type,
                            object_id=object_id, object_repr=object_repr, data=data, states=states)

    def move(self, when: dt.datetime, actor: Actor, name: str, target: str, data: dict[str, Any], *recs: Rec) -> None:
        before = self.task.values["status"]
        self.task.set(status=target, version=self.task.values["version"] + 1)
        self.last_change = when
        self.event(when, actor, f"task.{name}", {"changes": {"status": [before, target]}, **data}, *recs)

    def set_warning(self, when: dt.datetime, actor: Actor, level: str, reasons: list[str]) -> None:
        if level == self.warning:
            return
        before = self.warning
        self.warning = level
        self.warning_since = when.astimezone(self.ctx.tz).date()
        if level in self.counts:
            self.counts[level] += 1
        self.event(when, actor, "task.warning_changed",
                   {"changes": {"warning": [before, level]}, "on": self.warning_since.isoformat(), "reasons": reasons})
        if level == "yellow" and self.counts["yellow"] == 2 and self.task.values["status"] not in ACCEPTED:
            # the ladder's 督办单 after the second yellow, drafted by the same daily run
            t, unit = self.t, (self.t.lead if self.t.lead in self.t.units or self.t.lead.heads else self.t.units[0])
            self._ladder_notice(
                drafted=when + dt.timedelta(minutes=1), kind="notice", label="督办单", trigger="yellow_twice",
                reply_deadline=plus_working_days(self.warning_since, 5), now=True, key=lambda: f"yellow2:{t.id}",
                reason=f"第{t.number}项整改任务“{t.title[:30]}”已 2 次被亮黄牌（{'；'.join(reasons) or '临近整改时限或进度滞后'}），"
                       "整改推进滞后。",
                required=f"请{unit.name}对照整改方案和阶段目标加快推进，于回复期限前书面报告整改进展、存在问题和下一步措施。")

    # ------------------------------------------------------------------------------- the story

    def run(self) -> None:
        ctx, t, rng = self.ctx, self.t, self.ctx.rng
        as_of = ctx.as_of
        created_on = t.created
        created = _t(created_on, 16, rng.randrange(60))
        self.task = Rec("rectification.Task", "task", self.task_values(created))
        self.repr = f"{t.number}. {t.title if len(t.title) <= 40 else t.title[:40] + '…'}"
        self.at(created, lambda: self.created(created))

        # reports, round by round, until the task leaves the open statuses (acceptance passed)
        first_approval = self.plan_reports(created_on, None, dry=True)
        apply_on = max(t.target, first_approval + dt.timedelta(days=7)) if first_approval else None
        pass_on = close_on = None
        if apply_on is not None and apply_on < as_of:
            review_on = apply_on + dt.timedelta(days=rng.randrange(3, 20))
            applications = [(apply_on, review_on, t.returned)]
            if t.returned:
                again = review_on + dt.timedelta(days=rng.randrange(15, 45))
                applications.append((again, again + dt.timedelta(days=rng.randrange(3, 15)), False))
            for number, (applied, reviewed, returned) in enumerate(applications):
                if applied >= as_of:
                    break
                outcome = self.plan_application(number, applied, reviewed, returned)
                if outcome is not None:
                    pass_on, close_on = outcome
        self.plan_reports(created_on, pass_on, dry=False, close_on=close_on)
        self.plan_warnings(created_on, pass_on)
        self.steps.sort(key=lambda s: (s[0], s[1]))
        for _when, _order, action in self.steps:
            action()
        self.final_warning()
        self.finish()

    def task_values(self, created: dt.datetime) -> dict[str, Any]:
        t = self.t
        initial = self.level_on(t.created, TaskStatus.NOT_STARTED)
        self.warning = initial
        if initial in self.counts:
            self.counts[initial] += 1
        return {
            "id": t.id, "plan_id": t.plan.plan_id, "finding_id": t.finding_id, "number": t.number, "title": t.title,
            "goal": t.goal, "lead_unit_id": t.lead.id, "responsible_leader": t.leader,
            "acceptance_unit_id": t.acceptance.id, "deadline": t.deadline, "deadline_text": t.deadline_text,
            "deadline_kind": t.kind, "due_year": t.due_year, "category": t.category, "measure_area_id": t.area_id,
            "region_id": t.region_id, "status": TaskStatus.NOT_STARTED, "source": "plan", "rebound_of_id": None,
            "remarks": "", "is_sample": False, "version": 1, "created_at": created, "updated_at": created,
            "search_text": vocab.search_text(
                t.title_words or t.title, t.goal, t.leader, t.deadline_text, *(u.name for u in t.units),
                *(m.text for m in t.measures)),
        }

    def level_on(self, day: dt.date, status: str) -> str:
        deadline = self.t.deadline
        if status in ACCEPTED or deadline is None:
            return "green"
        if deadline < day:
            return "red"
        if deadline <= plus_working_days(day, self.yellow_days):
            return "yellow"
        return "green"

    def created(self, when: dt.datetime) -> None:
        t = self.t
        d = t.deadline.isoformat() if t.deadline else None
        snapshot = {
            "number": t.number, "title": t.title, "goal": t.goal, "responsible_leader": t.leader, "deadline": d,
            "deadline_text": t.deadline_text, "deadline_kind": t.kind, "due_year": t.due_year,
            "category": t.category, "remarks": "", "is_sample": False, "lead_unit": t.lead.name,
            "acceptance_unit": t.acceptance.name, "measure_area": t.area_id, "region": t.region_id,
            "implementing_units": sorted(u.name for u in t.units),
            "cooperating_units": sorted(u.name for u in t.cooperating),
            "measures": [[m.number, m.text, m.deadline.isoformat() if m.deadline else None, m.deadline_text, m.kind,
                          sorted(u.name for u in m.units)] for m in t.measures],
            "milestones": [[day.isoformat(), title, percent] for day, title, percent in t.milestones],
        }
        self.event(when, self.office, "task.created", {"after": snapshot, "warning": self.warning})

    # -------------------------------------------------------------------------------- reports

    def percent_on(self, day: dt.date) -> int:
        t = self.t
        start, end = t.created, max(t.target, t.created + DAY)
        share = (day - start).days / max((end - start).days, 1)
        return max(0, min(95, int(share * 100) // 5 * 5))

    def plan_reports(self, created_on: dt.date, pass_on: dt.date | None, *, dry: bool,
                     close_on: dt.date | None = None) -> dt.date | None:
        """Plan the reports of every round that includes the task; with `dry`, only say when the first
        one is approved (the task starts then)."""
        rng = self.ctx.rng
        as_of = self.ctx.as_of
        first: dt.date | None = None
        for rnd in self.rounds:
            if rnd.start <= created_on or (pass_on is not None and rnd.start > pass_on):
                continue
            if dry:
                return rnd.start + dt.timedelta(days=2)
            rnd.tasks.append(self.t.id)
            for unit in self.t.units:
                drafted_on = rnd.start + dt.timedelta(days=rng.randrange(0, 3))
                if close_on is not None and drafted_on >= close_on:
                    continue
                roll = rng.random()
                if rnd.open:
                    outcome = ("approved" if roll < 0.6 else "submitted" if roll < 0.72 else "draft" if roll < 0.8
                               else "returned" if roll < 0.83 else "missing")
                else:
                    outcome = "missing" if roll < 0.02 else "returned_once" if roll < 0.04 else "approved"
                if outcome == "missing" or drafted_on >= as_of:
                    if rnd.open:
                        self.pending_round.setdefault(rnd.id, set()).add(unit.id)
                    continue
                late = not rnd.open and rng.random() < 0.05
                approved_on = (rnd.due + dt.timedelta(days=rng.randrange(1, 6)) if late
                               else min(drafted_on + dt.timedelta(days=rng.randrange(0, 3)), rnd.due))
                if approved_on >= as_of and outcome in ("approved", "returned_once"):
                    outcome = "submitted"
                if outcome == "returned_once" and approved_on >= as_of - dt.timedelta(days=2):
                    outcome = "approved"
                if outcome not in ("approved", "returned_once") and rnd.open:
                    self.pending_round.setdefault(rnd.id, set()).add(unit.id)
                self.plan_report(rnd, unit, drafted_on, approved_on, outcome)
                if outcome in ("approved", "returned_once") and (first is None or approved_on < first):
                    first = approved_on
        return first

    def plan_report(self, rnd: Round, unit: Org, drafted_on: dt.date, approved_on: dt.date, outcome: str) -> None:
        rng = self.ctx.rng
        staff = rng.choice(unit.staff)
        head = unit.heads[0]
        percent = 100 if self.task_done_by(drafted_on) else self.percent_on(drafted_on)
        template = rng.choice(vocab.REPORT_TEXTS)
        description = template.format(n=rng.randrange(1, 12), m=rng.randrange(0, 4), p=percent)
        next_steps = rng.choice(vocab.NEXT_STEPS)
        drafted = _t(drafted_on, rng.randrange(9, 17), rng.randrange(60))
        report = Rec("rectification.ProgressReport", "progressreport", {
            "id": self.ctx.table("rectification.ProgressReport").allocate(), "round_id": rnd.id, "task_id": self.t.id,
            "unit_id": unit.id, "status": "draft", "stage": _stage(percent), "description": description,
            "percent": percent, "next_steps": next_steps, "drafted_by_id": staff[0], "submitted_at": None,
            "approved_by_id": None, "approved_at": None, "return_reason": "", "is_late": False,
            "created_at": drafted, "updated_at": drafted,
        })
        self.reports.append(report)
        files: list[Rec] = []
        if rng.random() < 0.35:
            category = rng.choice(("before_photo", "after_photo", "after_photo", "monitoring", "minutes", "statement"))
            for _n in range(rng.choice((1, 1, 2))):
                files.append(evidence(self.ctx, at=drafted, uploader=staff, org=unit, category=category,
                                      task_id=self.t.id, centre=self.t.plan.district.centre))
        base = {"report": report.id, "round": rnd.id, "unit": unit.id}

        def draft() -> None:
            for rec in files:
                self.rows.append(rec)
                self.links.append(("rectification.ProgressReport", "evidence",
                                   {"progressreport_id": report.id, "evidence_id": rec.id}))
                self.event(drafted, staff, "evidence.uploaded", evidence_event_data(rec), report, rec)
            changes = {"description": [None, description], "next_steps": [None, next_steps],
                       "percent": [None, percent], "stage": [None, report.values["stage"]], "status": ["", "draft"]}
            self.event(drafted, staff, "report.drafted", {**base, "changes": changes,
                                                           "evidence_added": [r.id for r in files],
                                                           "evidence_removed": []}, report)

        self.at(drafted, draft)
        if outcome == "draft":
            return
        submitted = drafted + dt.timedelta(minutes=rng.randrange(2, 40))
        self.at(submitted, lambda: self.submit(report, staff, submitted, base, "draft"))
        if outcome == "submitted":
            return
        reviewed = max(_t(approved_on, rng.randrange(9, 18), rng.randrange(60)), submitted + dt.timedelta(minutes=30))
        if outcome in ("returned", "returned_once"):
            reason = rng.choice(vocab.REPORT_RETURN_REASONS)

            def give_back() -> None:
                report.set(status="returned", return_reason=reason, updated_at=reviewed)
                self.event(reviewed, head, "report.returned", {**base, "changes": {"status": ["submitted", "returned"]},
                                                                "reason": reason}, report)

            self.at(reviewed, give_back)
            if outcome == "returned":
                return
            fixed = reviewed + dt.timedelta(hours=2)
            extra = "已补充本月完成的具体工作。"

            def redo() -> None:
                new = f"{report.values['description']}{extra}"
                report.set(status="draft", description=new, drafted_by_id=staff[0], updated_at=fixed)
                self.event(fixed, staff, "report.updated", {**base, "changes": {
                    "description": [new[: -len(extra)], new], "status": ["returned", "draft"]},
                    "evidence_added": [], "evidence_removed": []}, report)

            self.at(fixed, redo)
            resubmitted = fixed + dt.timedelta(minutes=10)
            self.at(resubmitted, lambda: self.submit(report, staff, resubmitted, base, "draft"))
            reviewed = resubmitted + dt.timedelta(hours=3)
        late = reviewed.astimezone(self.ctx.tz).date() > rnd.due

        def approve() -> None:
            report.set(status="approved", approved_by_id=head[0], approved_at=reviewed, is_late=late,
                       return_reason="", updated_at=reviewed)
            self.event(reviewed, head, "report.approved", {
                **base, "changes": {"status": ["submitted", "approved"]}, "stage": report.values["stage"],
                "percent": report.values["percent"], "is_late": late}, report)
            self.approved_reports.append((reviewed, report.id, report.values["percent"]))
            if self.task.values["status"] == TaskStatus.NOT_STARTED:
                self.move(reviewed, head, "start", TaskStatus.IN_PROGRESS, {"note": "first progress report"})

        self.at(reviewed, approve)

    def submit(self, report: Rec, staff: Actor, when: dt.datetime, base: dict[str, Any], before: str) -> None:
        report.set(status="submitted", submitted_at=when, updated_at=when)
        self.event(when, staff, "report.submitted", {**base, "changes": {"status": [before, "submitted"]},
                                                     "percent": report.values["percent"]}, report)

    def task_done_by(self, day: dt.date) -> bool:
        return day >= self.t.target

    # ----------------------------------------------------------------------------- acceptance

    def plan_application(self, number: int, applied_on: dt.date, reviewed_on: dt.date,
                         returned: bool) -> tuple[dt.date, dt.date | None] | None:
        """One application; returns (pass day, close day or None) when it passes before the reference date."""
        ctx, t, rng = self.ctx, self.t, self.ctx.rng
        as_of = ctx.as_of
        unit = next((u for u in t.units if u.heads), t.units[0])
        head, staff = unit.heads[0], rng.choice(unit.staff)
        applied = _t(applied_on, 10, rng.randrange(60))
        statement = f"已按整改方案完成全部整改措施：{t.goal}"
        application = Rec("rectification.AcceptanceApplication", "acceptanceapplication", {
            "id": ctx.table("rectification.AcceptanceApplication").allocate(), "task_id": t.id, "unit_id": unit.id,
            "applied_by_id": head[0], "applied_at": applied, "self_check": Json(_json(CRITERIA)),
            "statement": statement, "status": "pending",
        })
        if application.state is not None:
            application.state.set(self_check=CRITERIA)
        files = [evidence(ctx, at=applied - dt.timedelta(minutes=20 + k), uploader=staff, org=unit, category=category,
                          task_id=t.id, centre=t.plan.district.centre, is_public=rng.random() < 0.5)
                 for k, category in enumerate(("after_photo", rng.choice(("monitoring", "statement", "policy")))[
                     : rng.choice((1, 2, 2))])]

        def apply() -> None:
            if self.task.values["status"] == TaskStatus.NOT_STARTED:  # no report approved yet: the head starts it
                self.move(applied - dt.timedelta(minutes=30), head, "start", TaskStatus.IN_PROGRESS, {})
            self.rows.append(application)
            for rec in files:
                self.rows.append(rec)
                self.event(rec.values["uploaded_at"], staff, "evidence.uploaded", evidence_event_data(rec), rec)
                self.links.append(("rectification.AcceptanceApplication", "evidence",
                                   {"acceptanceapplication_id": application.id, "evidence_id": rec.id}))
            self.move(applied, head, "apply", TaskStatus.ACCEPTANCE_REQUESTED,
                      {"application": application.id, "evidence": [r.id for r in files]}, application)

        self.at(applied, apply)
        if reviewed_on >= as_of:
            return None
        acceptor = t.acceptance.acceptors[0]
        reviewed = _t(reviewed_on, 15, rng.randrange(60))
        review = Rec("rectification.AcceptanceReview", "acceptancereview", {
            "id": ctx.table("rectification.AcceptanceReview").allocate(), "application_id": application.id,
            "reviewer_id": acceptor[0], "decision": "return" if returned else "pass",
            "reasons": rng.choice(vocab.RETURN_REASONS) if returned else "",
            "check_date": reviewed_on, "check_people": f"{acceptor[1]}等3人",
            "check_findings": "" if returned else rng.choice(vocab.CHECK_FINDINGS),
            "criteria": Json(_json({} if returned else CRITERIA)), "created_at": reviewed,
        })
        if review.state:
            review.state.set(criteria={} if returned else CRITERIA)
        if returned:
            def give_back() -> None:
                self.rows.append(review)
                application.set(status="returned")
                self.move(reviewed, acceptor, "return", TaskStatus.IN_PROGRESS,
                          {"review": review.id, "reasons": review.values["reasons"]}, review, application)

            self.at(reviewed, give_back)
            return None
        start = reviewed_on
        end = plus_working_days(start, 10)
        with translation.override("zh-hans"):
            summary = f"{t.title}\n整改目标：{t.goal}".strip()
        notice = Rec("rectification.PublicNotice", "publicnotice", {
            "id": ctx.table("rectification.PublicNotice").allocate(), "task_id": t.id,
            "application_id": application.id, "start_date": start, "working_days": 10, "end_date": end,
            "summary": summary, "result": statement, "contact_phone": f"023-{rng.randrange(10**7, 10**8)}",
            "contact_email": "", "status": "open", "created_at": reviewed,
        })
        photo = (evidence(ctx, at=reviewed - dt.timedelta(minutes=30), uploader=acceptor, org=t.acceptance,
                          category="acceptance", task_id=t.id, centre=t.plan.district.centre)
                 if rng.random() < 0.6 else None)

        def accept() -> None:
            if photo is not None:
                self.rows.append(photo)
                self.event(photo.values["uploaded_at"], acceptor, "evidence.uploaded", evidence_event_data(photo), photo)
                self.links.append(("rectification.AcceptanceReview", "photos",
                                   {"acceptancereview_id": review.id, "evidence_id": photo.id}))
            self.rows.append(review)
            self.rows.append(notice)
            application.set(status="passed")
            self.move(reviewed, acceptor, "pass", TaskStatus.IN_PUBLIC_NOTICE,
                      {"review": review.id, "notice": notice.id, "notice_end": end.isoformat()},
                      review, application, notice)
            self.set_warning(reviewed, acceptor, "green", [])

        self.at(reviewed, accept)
        if t.objection:
            lodged = _t(start + dt.timedelta(days=rng.randrange(1, 5)), 20, rng.randrange(60))
            answered = lodged + dt.timedelta(days=rng.randrange(1, 3), hours=1)
            if lodged.date() < as_of:
                objection = Rec("rectification.Objection", "objection", {
                    "id": ctx.table("rectification.Objection").allocate(), "notice_id": notice.id,
                    "content": "整改后仍有异味，希望再次核查。", "contact_name": "", "contact": "", "client_hash": "",
                    "submitted_at": lodged, "status": "pending", "upheld": None, "answer": "", "answered_by_id": None,
                    "answered_at": None,
                })
                self.at(lodged, lambda: self.lodge(objection, lodged, notice))
                if answered.date() < as_of:
                    self.at(answered, lambda: self.answer(objection, answered))
        close_on = end + dt.timedelta(days=rng.randrange(1, 6))
        if close_on >= as_of:
            return start, None
        closed = _t(close_on, 11, rng.randrange(60))

        def close() -> None:
            notice.set(status="ended")
            self.move(closed, self.office, "close", TaskStatus.CLOSED,
                      {"notice": notice.id, "long_term": t.kind in (DeadlineKind.LONG_TERM,
                                                                    DeadlineKind.IMMEDIATE_LONG_TERM)}, notice)

        self.at(closed, close)
        return start, close_on

    def lodge(self, objection: Rec, when: dt.datetime, notice: Rec) -> None:
        self.rows.append(objection)
        self.event(when, self.ctx.system, "notice.objection_lodged", {"notice": notice.id, "objection": objection.id})

    def answer(self, objection: Rec, when: dt.datetime) -> None:
        objection.set(status="answered", upheld=False, answer="经现场复核，整改已到位，异议不成立。",
                      answered_by_id=self.office[0], answered_at=when)
        self.event(when, self.office, "notice.objection_answered", {"objection": objection.id, "upheld": False})

    # ------------------------------------------------------------------------------- warnings

    def plan_warnings(self, created_on: dt.date, pass_on: dt.date | None) -> None:
        """The daily job (08:15): yellow when the deadline comes near, red the day after it, while the
        task is not accepted; the escalation ladder (`rectification.supervision.escalation_run`) drafts a
        督办函 and a 约谈建议 for every task that turns red, keyed as the ladder keys them, so that the daily
        job finds the generated state as it left it (half of the letters are issued)."""
        deadline = self.t.deadline
        if deadline is None:
            return
        as_of = self.ctx.as_of
        yellow_on = max(yellow_from(deadline, self.yellow_days), created_on + DAY)
        red_on = deadline + DAY
        if yellow_on < as_of and (pass_on is None or pass_on > yellow_on) and yellow_on < red_on:
            self.at(_t(yellow_on, 8, 15), lambda: self.daily(yellow_on, "yellow"))
        if red_on < as_of and (pass_on is None or pass_on > red_on):
            self.at(_t(red_on, 8, 15), lambda: self.daily(red_on, "red"))
            self.plan_supervision(red_on, issue=self.ctx.rng.random() < 0.5)

    def daily(self, day: dt.date, level: str) -> None:
        if self.task.values["status"] in ACCEPTED:
            return
        deadline = self.t.deadline
        assert deadline is not None
        cn = f"{deadline.year}年{deadline.month}月{deadline.day}日"
        with translation.override("zh-hans"):
            reason = (f"已超过整改时限（{cn}），尚未通过验收" if level == "red"
                      else f"距整改时限（{cn}）不足 {self.yellow_days} 个工作日")
        self.set_warning(_t(day, 8, 15), self.ctx.system, level, [reason])

    def _ladder_notice(self, *, drafted: dt.datetime, kind: str, label: str, reason: str, required: str,
                       reply_deadline: dt.date, key: Callable[[], str], trigger: str = "red",
                       now: bool = False) -> Rec:
        """A notice the ladder drafts (status 待签发) at `drafted` (scheduled, or at once with `now`); its key
        is read when it is drafted."""
        ctx, t = self.ctx, self.t
        unit = t.lead if t.lead in t.units or t.lead.heads else t.units[0]
        values = {
            "id": ctx.table("rectification.SupervisionNotice").allocate(), "task_id": t.id, "unit_id": unit.id,
            "kind": kind, "trigger": trigger, "number": "", "reason": reason, "required_action": required,
            "reply_deadline": reply_deadline, "status": "draft", "drafted_at": drafted, "issued_at": None,
            "issued_by_id": None, "reply": "", "replied_at": None, "replied_by_id": None, "escalated_from_id": None,
            "key": "",
        }
        notice = Rec("rectification.SupervisionNotice", "supervisionnotice", values)

        def draft() -> None:
            values["key"] = key()
            self.rows.append(notice)
            self.event(drafted, ctx.system, "supervision.drafted", {
                "notice": notice.id, "kind": kind, "trigger": trigger, "unit": unit.name,
                "reply_deadline": reply_deadline.isoformat(), "key": values["key"], "escalated_from": None},
                obj=("supervisionnotice", notice.id, f"{label} {notice.id}"))

        if now:
            draft()
        else:
            self.at(drafted, draft)
        return notice

    def plan_supervision(self, red_on: dt.date, *, issue: bool) -> None:
        ctx, t, rng = self.ctx, self.t, self.ctx.rng
        unit = t.lead if t.lead in t.units or t.lead.heads else t.units[0]
        drafted = _t(red_on, 8, 16)
        issue_on = red_on + dt.timedelta(days=1 + (red_on.weekday() >= 4) * 2)
        reply_deadline = plus_working_days(issue_on, 5)
        deadline = t.deadline
        assert deadline is not None
        cn = f"{deadline.year}年{deadline.month}月{deadline.day}日"
        line = f"第{t.number}项整改任务“{t.title[:30]}”"
        label = "督办函"
        notice = self._ladder_notice(
            drafted=drafted, kind="letter", label=label, reply_deadline=reply_deadline,
            reason=f"{line}整改时限为{cn}，现已逾期仍未完成整改验收，亮红灯。",
            required=f"请{unit.name}立即采取有效措施加快整改，于回复期限前书面报告逾期原因、整改进展和完成时限。",
            key=lambda: f"red:{t.id}:{self.counts['red']}")
        self._ladder_notice(
            drafted=drafted + dt.timedelta(seconds=1), kind="talk", label="约谈建议", reply_deadline=reply_deadline,
            reason=f"{line}逾期未完成整改，建议对{unit.name}主要负责人进行约谈。",
            required=f"请{unit.name}主要负责人按通知时间参加约谈，说明逾期原因、整改措施和完成时限。",
            key=lambda: f"talk:{t.id}:{self.counts['red']}")
        obj = lambda: ("supervisionnotice", notice.id, f"{label} {notice.values['number'] or notice.id}")  # noqa: E731
        if not issue or issue_on >= ctx.as_of:
            return
        issued = _t(issue_on, 10, rng.randrange(60))

        def sign() -> None:
            counter = t.plan.district.notice_numbers
            counter[issue_on.year] = counter.get(issue_on.year, 0) + 1
            number = f"{t.plan.district.name[:1]}督整办〔{issue_on.year}〕{counter[issue_on.year]}号"
            notice.set(number=number, status="issued", issued_at=issued, issued_by_id=self.office[0])
            self.event(issued, self.office, "supervision.issued", {
                "notice": notice.id, "kind": "letter", "changes": {"status": ["draft", "issued"]}, "number": number,
                "reply_deadline": reply_deadline.isoformat()}, obj=obj())

        self.at(issued, sign)
        reply_on = issue_on + dt.timedelta(days=rng.randrange(1, 9))
        if reply_on >= ctx.as_of or not unit.heads:
            return
        replied = _t(reply_on, 16, rng.randrange(60))
        head = unit.heads[0]

        def reply() -> None:
            notice.set(status="replied", reply="已制定整改推进计划，增加人员和资金投入，力争尽快完成整改并申请验收。",
                       replied_at=replied, replied_by_id=head[0])
            self.event(replied, head, "supervision.replied", {
                "notice": notice.id, "kind": "letter", "changes": {"status": ["issued", "replied"]},
                "late": reply_on > reply_deadline}, obj=obj())

        self.at(replied, reply)

    def final_warning(self) -> None:
        """The daily job on the reference date: the level `rectification.warnings` computes then."""
        as_of = self.ctx.as_of
        status = self.task.values["status"]
        level = self.level_on(as_of, status)
        reasons: list[str] = []
        if level != "red" and status in WORKING:
            latest = max(self.approved_reports)[2] if self.approved_reports else 0
            if any(day < as_of and latest < percent for day, _title, percent in self.t.milestones):
                level = "yellow"
            for rnd in self.rounds:
                if rnd.open and rnd.due < as_of and self.pending_round.get(rnd.id) and self.t.id in rnd.tasks:
                    level = "yellow"
        if level != self.warning:
            self.set_warning(_t(as_of, 8, 15), self.ctx.system, level, reasons)

    # ---------------------------------------------------------------------------------- rows

    def finish(self) -> None:
        ctx, t = self.ctx, self.t
        self.task.set(warning=self.warning, warning_since=self.warning_since, yellow_count=self.counts["yellow"],
                      red_count=self.counts["red"], updated_at=self.last_change or self.task.values["updated_at"])
        self.task.write(ctx)
        for unit in t.units:
            ctx.link(_task_model(), "implementing_units", task_id=t.id, organization_id=unit.id)
        for unit in t.cooperating:
            ctx.link(_task_model(), "cooperating_units", task_id=t.id, organization_id=unit.id)
        from zhenggai.rectification.models import Measure

        for m in t.measures:
            ctx.add("rectification.Measure", id=m.id, task_id=t.id, number=m.number, text=m.text, deadline=m.deadline,
                    deadline_text=m.deadline_text, deadline_kind=m.kind)
            for unit in m.units:
                ctx.link(Measure, "units", measure_id=m.id, organization_id=unit.id)
        for day, title, percent in t.milestones:
            ctx.add("rectification.Milestone", task_id=t.id, date=day, title=title, percent=percent)
        for rec in self.reports:
            rec.write(ctx)
        for rec in self.rows:
            rec.write(ctx)
        from django.apps import apps

        for label, field_name, values in self.links:
            ctx.link(apps.get_model(label), field_name, **values)


def _task_model() -> Any:
    from zhenggai.rectification.models import Task

    return Task
