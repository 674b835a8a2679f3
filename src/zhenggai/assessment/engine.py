"""The scoring engine: turns the event log of a region into score items, one per deduction or bonus.

Rules (each item names the event behind it; only items dated inside the period count; tasks are those
located in the assessment's region or below it, complaints those of inspections of that region):
- yellow_repeated: a task's entries into yellow are counted from its creation in the order of its event
  chain (the creation event's initial warning and every `task.warning_changed` to yellow); the N-th, 2N-th…
  entry (N = `every`) costs each implementing unit the rule's points, dated on the warning's day.
- red: every entry into red (initial warning or `task.warning_changed` to red), each implementing unit.
- missed_report: for each dispatch round due inside the period and before the day of computing, each task
  of the round and each of its implementing units: no approved report → the round's `round.opened` event;
  an approved report marked late (`ProgressReport.is_late`) → its `report.approved` event. Dated on the
  round's due date; one item per round, task and unit.
- acceptance_returned: every `task.return` event (an acceptance review that returned), each implementing unit.
- rebound: every `lookback.recorded` event with result `rebound`: the old task's implementing units, or the
  old complaint's lead unit.
- complaint_overdue: a complaint's first reply (the first `complaint.handled` event that sets 阶段性办结 or
  已办结, dated on the 办结日期 it sets, else on the event's day) later than its reply deadline; or, without a
  reply, a deadline passed before the day of computing (the first red reminder, else the latest assignment,
  dated the day after the deadline). At most one item per complaint, for its lead unit; merged cases skip.
- early_closure: a `task.close` event at least `days_before` days before the task's deadline.
- integrity_confirmed: every `integrity.confirmed` event (the office confirmed an integrity flag) about a
  task or complaint of the region, for each unit it names (`data["units"]`).
An event's day is its `data["on"]` when the service recorded one (warnings, reminders), else the local
date of its creation. The result depends only on the database and the day of computing, so computing
twice gives the same items in the same order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Region
from zhenggai.complaints.models import Complaint, ComplaintStatus
from zhenggai.core.models import Event
from zhenggai.rectification.models import DispatchRound, ProgressReport, Task

from .models import Rule
from .rules import RuleKind, clean_params

TASK_VERBS = ("task.created", "task.rebound_created", "task.warning_changed", "task.return", "task.close",
              "lookback.recorded", "report.approved")
COMPLAINT_VERBS = ("complaint.created", "complaint.imported", "complaint.rebound_created", "complaint.assigned",
                   "complaint.handled", "complaint.reminded", "lookback.recorded")
REPLIED = (ComplaintStatus.STAGE_DONE, ComplaintStatus.DONE)


@dataclass(frozen=True)
class ItemData:
    unit_id: int
    rule: Rule
    points: Decimal
    date: dt.date
    reason: str
    event_id: int | None = None
    task_id: int | None = None
    complaint_id: int | None = None

    def key(self) -> tuple[Any, ...]:
        return (self.unit_id, self.date, self.rule.sort_order, self.rule.kind, self.event_id or 0,
                self.task_id or 0, self.complaint_id or 0, self.reason)

    def as_row(self) -> list[Any]:
        return [self.unit_id, self.rule.kind, str(self.points), self.event_id, self.task_id, self.complaint_id,
                self.date.isoformat(), self.reason]


def event_day(event: Event) -> dt.date:
    on = (event.data or {}).get("on")
    if isinstance(on, str):
        try:
            return dt.date.fromisoformat(on[:10])
        except ValueError:
            pass
    return timezone.localdate(event.created_at)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def ids_as_text(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.annotate(pk_text=Cast("pk", output_field=CharField())).values("pk_text")


def _change_to(event: Event, field: str) -> Any:
    change = ((event.data or {}).get("changes") or {}).get(field)
    return change[1] if isinstance(change, list) and len(change) == 2 else None


def _entered(event: Event, level: str) -> bool:
    """Did the task enter `level` with this event (its initial warning or a warning change)?"""
    if event.verb == "task.warning_changed":
        return _change_to(event, "warning") == level
    if event.verb in ("task.created", "task.rebound_created"):
        return (event.data or {}).get("warning") == level
    return False


def _short(text: str, size: int = 30) -> str:
    return text if len(text) <= size else text[:size] + "…"


class Scorer:
    """Loads the facts of one region once (a fixed number of queries) and applies the rules."""

    def __init__(self, *, region: Region, start: dt.date, end: dt.date, as_of: dt.date) -> None:
        self.start, self.end, self.as_of = start, end, as_of
        tasks = Task.objects.filter(region__path__startswith=region.path)
        self.tasks = {t.pk: t for t in tasks.only("pk", "number", "title", "deadline", "created_at")}
        self.task_units: dict[int, list[int]] = defaultdict(list)
        for task_id, org_id in Task.implementing_units.through.objects.filter(task__in=tasks).order_by(
                "task_id", "organization_id").values_list("task_id", "organization_id"):
            self.task_units[task_id].append(org_id)
        self.task_events: dict[int, list[Event]] = defaultdict(list)
        self.approved_event: dict[int, Event] = {}
        for event in Event.objects.filter(object_type="task", object_id__in=ids_as_text(tasks),
                                          verb__in=TASK_VERBS).order_by("chain_id", "seq"):
            if event.verb == "report.approved":
                report_id = (event.data or {}).get("report")
                if isinstance(report_id, int):
                    self.approved_event[report_id] = event
            else:
                self.task_events[int(event.object_id)].append(event)
        complaints = Complaint.objects.filter(inspection__target_region__path__startswith=region.path)
        self.complaints = {c.pk: c for c in complaints.only(
            "pk", "acceptance_number", "lead_unit_id", "reply_deadline", "merged_into_id", "status", "batch_id",
            "created_at")}
        self.complaint_events: dict[int, list[Event]] = defaultdict(list)
        for event in Event.objects.filter(object_type="complaint", object_id__in=ids_as_text(complaints),
                                          verb__in=COMPLAINT_VERBS).order_by("chain_id", "seq"):
            self.complaint_events[int(event.object_id)].append(event)
        self.region = region

    def in_period(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def task_label(self, task_id: int) -> str:
        task = self.tasks[task_id]
        return _("第%(n)s项任务“%(title)s”") % {"n": task.number, "title": _short(task.title)}

    def _for_units(self, rule: Rule, task_id: int, event: Event, day: dt.date, reason: str) -> list[ItemData]:
        return [ItemData(unit_id=u, rule=rule, points=rule.points, date=day, reason=reason[:255], event_id=event.pk,
                         task_id=task_id) for u in self.task_units.get(task_id, [])]

    # ── the rules ──

    def warning_entries(self, rule: Rule, level: str) -> list[ItemData]:
        every = clean_params(rule.kind, rule.params).get("every", 1)
        items: list[ItemData] = []
        for task_id, events in self.task_events.items():
            count = 0
            for event in events:
                if not _entered(event, level):
                    continue
                count += 1
                day = event_day(event)
                if count % every or not self.in_period(day):
                    continue
                if level == "yellow":
                    reason = _("%(task)s第 %(n)s 次亮黄牌") % {"task": self.task_label(task_id), "n": count}
                else:
                    reason = _("%(task)s亮红灯（第 %(n)s 次）") % {"task": self.task_label(task_id), "n": count}
                items += self._for_units(rule, task_id, event, day, reason)
        return items

    def returned(self, rule: Rule) -> list[ItemData]:
        items: list[ItemData] = []
        for task_id, events in self.task_events.items():
            for event in events:
                day = event_day(event)
                if event.verb != "task.return" or not self.in_period(day):
                    continue
                reasons = _short(str((event.data or {}).get("reasons") or ""), 60)
                reason = _("%(task)s验收被退回：%(reasons)s") % {"task": self.task_label(task_id), "reasons": reasons}
                items += self._for_units(rule, task_id, event, day, reason)
        return items

    def early_closure(self, rule: Rule) -> list[ItemData]:
        days = clean_params(rule.kind, rule.params)["days_before"]
        items: list[ItemData] = []
        for task_id, events in self.task_events.items():
            deadline = self.tasks[task_id].deadline
            for event in events:
                day = event_day(event)
                if event.verb != "task.close" or deadline is None or not self.in_period(day):
                    continue
                if day > deadline - dt.timedelta(days=days):
                    continue
                reason = _("%(task)s于整改时限（%(deadline)s）前 %(n)s 天销号") % {
                    "task": self.task_label(task_id), "deadline": deadline.isoformat(), "n": (deadline - day).days}
                items += self._for_units(rule, task_id, event, day, reason)
        return items

    def rebound(self, rule: Rule) -> list[ItemData]:
        items: list[ItemData] = []
        for task_id, events in self.task_events.items():
            for event in events:
                day = event_day(event)
                if event.verb == "lookback.recorded" and (event.data or {}).get("result") == "rebound" \
                        and self.in_period(day):
                    reason = _("%(task)s回头看发现问题反弹") % {"task": self.task_label(task_id)}
                    items += self._for_units(rule, task_id, event, day, reason)
        for complaint_id, events in self.complaint_events.items():
            complaint = self.complaints[complaint_id]
            for event in events:
                day = event_day(event)
                if event.verb == "lookback.recorded" and (event.data or {}).get("result") == "rebound" \
                        and self.in_period(day) and complaint.lead_unit_id:
                    items.append(ItemData(
                        unit_id=complaint.lead_unit_id, rule=rule, points=rule.points, date=day, event_id=event.pk,
                        complaint_id=complaint_id,
                        reason=(_("信访件 %(n)s 回头看发现问题反弹") % {"n": complaint.acceptance_number})[:255]))
        return items

    def complaint_overdue(self, rule: Rule) -> list[ItemData]:
        items: list[ItemData] = []
        for complaint_id, complaint in self.complaints.items():
            if complaint.lead_unit_id is None or complaint.merged_into_id is not None:
                continue
            found = self._overdue(complaint, self.complaint_events.get(complaint_id, []))
            if found is None:
                continue
            event, day, reason = found
            if self.in_period(day):
                items.append(ItemData(unit_id=complaint.lead_unit_id, rule=rule, points=rule.points, date=day,
                                      reason=reason[:255], event_id=event.pk if event else None,
                                      complaint_id=complaint_id))
        return items

    def _overdue(self, complaint: Complaint, events: list[Event]) -> tuple[Event | None, dt.date, str] | None:
        deadline = complaint.reply_deadline
        for event in events:
            if event.verb == "complaint.handled" and _change_to(event, "status") in REPLIED:
                day = _date(_change_to(event, "done_at")) or event_day(event)
                if day <= deadline:
                    return None
                return event, day, _("信访件 %(n)s 反馈期限为%(deadline)s，%(day)s才办结") % {
                    "n": complaint.acceptance_number, "deadline": deadline.isoformat(), "day": day.isoformat()}
        if deadline >= self.as_of:
            return None
        reason = _("信访件 %(n)s 反馈期限为%(deadline)s，逾期仍未办结") % {
            "n": complaint.acceptance_number, "deadline": deadline.isoformat()}
        reminders = [e for e in events if e.verb == "complaint.reminded" and (e.data or {}).get("level") == "red"]
        if reminders:
            return reminders[0], event_day(reminders[0]), reason
        handed = [e for e in events if e.verb in ("complaint.assigned", "complaint.created", "complaint.imported",
                                                  "complaint.rebound_created")]
        return (handed[-1] if handed else None), deadline + dt.timedelta(days=1), reason

    def missed_reports(self, rule: Rule) -> list[ItemData]:
        rounds = {r.pk: r for r in DispatchRound.objects.filter(
            region__path__startswith=self.region.path, due_date__gte=self.start, due_date__lte=self.end,
            due_date__lt=self.as_of)}
        if not rounds:
            return []
        opened = {int(e.object_id): e for e in Event.objects.filter(
            object_type="dispatchround", object_id__in=[str(pk) for pk in rounds], verb="round.opened")}
        links = DispatchRound.tasks.through.objects.filter(dispatchround_id__in=list(rounds), task_id__in=list(self.tasks))
        reports = {
            (r.round_id, r.task_id, r.unit_id): r
            for r in ProgressReport.objects.filter(round_id__in=list(rounds), status=ProgressReport.Status.APPROVED)
        }
        items: list[ItemData] = []
        for round_id, task_id in links.order_by("dispatchround_id", "task_id").values_list("dispatchround_id", "task_id"):
            rnd = rounds[round_id]
            for unit_id in self.task_units.get(task_id, []):
                report = reports.get((round_id, task_id, unit_id))
                if report is None:
                    event = opened.get(round_id)
                    reason = _("“%(round)s”截止（%(due)s）后未报送%(task)s的整改进展")
                elif report.is_late:
                    event = self.approved_event.get(report.pk)
                    reason = _("“%(round)s”截止（%(due)s）后才报送%(task)s的整改进展")
                else:
                    continue
                reason = reason % {"round": rnd.title, "due": rnd.due_date.isoformat(), "task": self.task_label(task_id)}
                items.append(ItemData(unit_id=unit_id, rule=rule, points=rule.points, date=rnd.due_date,
                                      reason=reason[:255], event_id=event.pk if event else None, task_id=task_id))
        return items

    def integrity_confirmed(self, rule: Rule) -> list[ItemData]:
        items: list[ItemData] = []
        for event in Event.objects.filter(object_type="integrityflag", verb="integrity.confirmed").order_by("pk"):
            data = event.data or {}
            task_id, complaint_id = data.get("task"), data.get("complaint")
            if task_id in self.tasks:
                subject = self.task_label(task_id)
            elif complaint_id in self.complaints:
                subject = _("信访件 %(n)s") % {"n": self.complaints[complaint_id].acceptance_number}
                task_id = None
            else:
                continue
            day = event_day(event)
            if not self.in_period(day):
                continue
            reason = _("%(subject)s经真实性核查确认存在问题：%(reason)s") % {
                "subject": subject, "reason": _short(str(data.get("reason") or data.get("check") or ""), 60)}
            items += [ItemData(unit_id=u, rule=rule, points=rule.points, date=day, reason=reason[:255],
                               event_id=event.pk, task_id=task_id,
                               complaint_id=complaint_id if task_id is None else None)
                      for u in data.get("units") or [] if isinstance(u, int)]
        return items

    def apply(self, rule: Rule) -> list[ItemData]:
        handlers = {
            RuleKind.YELLOW_REPEATED: lambda r: self.warning_entries(r, "yellow"),
            RuleKind.RED: lambda r: self.warning_entries(r, "red"),
            RuleKind.MISSED_REPORT: self.missed_reports,
            RuleKind.ACCEPTANCE_RETURNED: self.returned,
            RuleKind.REBOUND: self.rebound,
            RuleKind.COMPLAINT_OVERDUE: self.complaint_overdue,
            RuleKind.EARLY_CLOSURE: self.early_closure,
            RuleKind.INTEGRITY_CONFIRMED: self.integrity_confirmed,
        }
        handler = handlers.get(rule.kind)  # type: ignore[call-overload]
        return handler(rule) if handler else []

    def participants(self) -> set[int]:
        """Units assessed even without items: implementing units of the region's tasks created by the end
        of the period, and lead units of its complaints handed over by then."""
        units = {u for task_id, task in self.tasks.items() if timezone.localdate(task.created_at) <= self.end
                 for u in self.task_units.get(task_id, [])}
        units |= {c.lead_unit_id for c in self.complaints.values()
                  if c.lead_unit_id and timezone.localdate(c.created_at) <= self.end}
        return units


def score(*, region: Region, start: dt.date, end: dt.date, as_of: dt.date, rules: Iterable[Rule]
          ) -> tuple[list[ItemData], set[int]]:
    """All items of the active `rules`, sorted (unit, date, rule, event), and the participating units."""
    scorer = Scorer(region=region, start=start, end=end, as_of=as_of)
    items: list[ItemData] = []
    for rule in rules:
        if rule.is_active:
            items += scorer.apply(rule)
    items.sort(key=ItemData.key)
    return items, scorer.participants() | {i.unit_id for i in items}


def digest(items: Iterable[ItemData], base: Decimal) -> str:
    """SHA-256 over the items' content: equal digests mean equal results."""
    payload = json.dumps([str(base), [i.as_row() for i in items]], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
