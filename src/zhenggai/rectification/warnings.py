"""Warning levels (DOMAIN §6), computed in Chinese working days.

- red 红灯: past the deadline and not yet accepted (not in public notice or closed);
- yellow 黄牌: any of
  - the deadline falls within N working days (setting ZHENGGAI_WARNING_YELLOW_DAYS, default 10);
  - a milestone is missed: its date is before today while the percent of the task's latest approved
    progress report (0 without one) is below the milestone's percent;
  - a report is missing: an open dispatch round that includes the task is past its due date and an
    implementing unit has no approved report for the task in it;
- green 正常: otherwise (always for accepted or closed tasks).

The milestone and report rules apply to tasks that are being worked on (not started or in progress):
a task awaiting acceptance has been declared done and is judged by its deadline only.

`warning_facts` loads what the milestone and report rules need for a whole batch of tasks in a fixed
number of queries, so that the daily job does not query per task.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Case, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from zhenggai.core.workdays import add_working_days
from zhenggai.portal.caching import public_data_changed

from .models import DispatchRound, Milestone, ProgressReport, Task
from .workflow import TaskStatus

T = TypeVar("T", bound=Task)

RED, YELLOW, GREEN = "red", "yellow", "green"
LABELS = {RED: _("红灯"), YELLOW: _("黄牌"), GREEN: _("正常")}
RANK = {RED: 0, YELLOW: 1, GREEN: 2}
ACCEPTED = (TaskStatus.IN_PUBLIC_NOTICE, TaskStatus.CLOSED)
# statuses to which the milestone and report rules apply
WORKING = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
BATCH = 500


def today() -> dt.date:
    return timezone.localdate()


def yellow_horizon(on: dt.date) -> dt.date:
    """The last date that still counts as "deadline near" on day `on`."""
    return add_working_days(on, settings.ZHENGGAI_WARNING_YELLOW_DAYS)


@dataclass(frozen=True)
class MissingReport:
    round_id: int
    round_title: str
    due_date: dt.date
    units: tuple[str, ...]  # names of the implementing units without an approved report


@dataclass
class WarningFacts:
    """Facts for the milestone and report rules, by task id, as of `on`."""

    on: dt.date
    task_ids: set[int] = field(default_factory=set)
    milestones: dict[int, list[Milestone]] = field(default_factory=dict)  # dated before `on`
    latest_percent: dict[int, int] = field(default_factory=dict)  # of the latest approved report
    missing: dict[int, list[MissingReport]] = field(default_factory=dict)

    def covers(self, task: Task) -> bool:
        return task.pk in self.task_ids


def warning_facts(tasks: Iterable[Task], on: dt.date) -> WarningFacts:
    """Load the milestone and report facts of `tasks` in at most five queries."""
    facts = WarningFacts(on=on)
    working = [t.pk for t in tasks if t.pk is not None and t.status in WORKING]
    facts.task_ids = {t.pk for t in tasks if t.pk is not None}
    if not working:
        return facts

    for milestone in Milestone.objects.filter(task_id__in=working, date__lt=on).order_by("task_id", "date", "id"):
        facts.milestones.setdefault(milestone.task_id, []).append(milestone)
    if facts.milestones:
        latest = ProgressReport.objects.filter(
            task_id=OuterRef("pk"), status=ProgressReport.Status.APPROVED
        ).order_by("-approved_at", "-id").values("percent")[:1]
        rows = Task.objects.filter(pk__in=list(facts.milestones)).annotate(latest=Subquery(latest))
        facts.latest_percent = {pk: p for pk, p in rows.values_list("pk", "latest") if p is not None}

    links = DispatchRound.tasks.through.objects.filter(
        task_id__in=working, dispatchround__status=DispatchRound.Status.OPEN, dispatchround__due_date__lt=on
    ).values_list("dispatchround_id", "task_id", "dispatchround__title", "dispatchround__due_date")
    rounds: dict[int, tuple[str, dt.date]] = {}
    pairs: list[tuple[int, int]] = []
    for round_id, task_id, title, due in links:
        rounds[round_id] = (title, due)
        pairs.append((round_id, task_id))
    if not pairs:
        return facts
    linked = {task_id for _r, task_id in pairs}
    units: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for task_id, org_id, name, short in Task.implementing_units.through.objects.filter(
        task_id__in=linked
    ).values_list("task_id", "organization_id", "organization__name", "organization__short_name").order_by(
        "task_id", "organization_id"
    ):
        units[task_id].append((org_id, short or name))
    reported = set(
        ProgressReport.objects.filter(
            round_id__in=list(rounds), task_id__in=linked, status=ProgressReport.Status.APPROVED
        ).values_list("round_id", "task_id", "unit_id")
    )
    for round_id, task_id in sorted(pairs, key=lambda p: (rounds[p[0]][1], p[0])):
        lacking = tuple(name for org_id, name in units[task_id] if (round_id, task_id, org_id) not in reported)
        if lacking:
            title, due = rounds[round_id]
            facts.missing.setdefault(task_id, []).append(MissingReport(round_id, title, due, lacking))
    return facts


def _facts_for(task: Task, on: dt.date, facts: WarningFacts | None) -> WarningFacts:
    if facts is not None and facts.on == on and (task.pk is None or facts.covers(task)):
        return facts
    return warning_facts([task], on)


def _missed_milestones(task: Task, facts: WarningFacts) -> list[Milestone]:
    reached = facts.latest_percent.get(task.pk, 0)
    return [m for m in facts.milestones.get(task.pk, []) if reached < m.percent]


def _assess(task: Task, on: dt.date, facts: WarningFacts | None, *, explain: bool) -> tuple[str, list[str]]:
    from zhenggai.core.templatetags.zg import cn_date

    reasons: list[str] = []
    if task.status in ACCEPTED:
        return GREEN, reasons
    if task.deadline is not None and task.deadline < on:
        if explain:
            reasons.append(_g("已超过整改时限（%(date)s），尚未通过验收") % {"date": cn_date(task.deadline)})
        return RED, reasons
    level = GREEN
    if task.deadline is not None and task.deadline <= yellow_horizon(on):
        level = YELLOW
        if not explain:
            return level, reasons
        reasons.append(
            _g("距整改时限（%(date)s）不足 %(n)s 个工作日")
            % {"date": cn_date(task.deadline), "n": settings.ZHENGGAI_WARNING_YELLOW_DAYS}
        )
    if task.status not in WORKING or task.pk is None:
        return level, reasons
    facts = _facts_for(task, on, facts)
    missed = _missed_milestones(task, facts)
    if missed:
        level = YELLOW
        reached = facts.latest_percent.get(task.pk, 0)
        for m in missed if explain else ():
            reasons.append(
                _g("阶段目标“%(title)s”（%(date)s 应完成 %(percent)s%%）未达到，最新报送进度为 %(reached)s%%")
                % {"title": m.title, "date": cn_date(m.date), "percent": m.percent, "reached": reached}
            )
    missing = facts.missing.get(task.pk, [])
    if missing:
        level = YELLOW
        for item in missing if explain else ():
            reasons.append(
                _g("调度“%(round)s”已于 %(date)s 截止，%(units)s 尚未报送整改进展")
                % {"round": item.round_title, "date": cn_date(item.due_date), "units": "、".join(item.units)}
            )
    return level, reasons


def warning_for(task: Task, on: dt.date | None = None, *, facts: WarningFacts | None = None) -> str:
    """The warning level of `task` on day `on` (see the module docstring). Pass `facts` from
    `warning_facts` when judging many tasks; without it the milestone and report facts of this one
    task are loaded."""
    return _assess(task, on or today(), facts, explain=False)[0]


def warning_reasons(task: Task, on: dt.date | None = None, *, facts: WarningFacts | None = None) -> list[str]:
    """Why `task` is red or yellow on day `on`, as sentences for the user (empty when green)."""
    return _assess(task, on or today(), facts, explain=True)[1]


def annotate_warning(queryset: QuerySet[T], on: dt.date | None = None) -> QuerySet[T]:
    """Adds `warning_rank` (0 red, 1 yellow, 2 green) from the stored warning, for sorting."""
    return queryset.annotate(  # type: ignore[return-value]
        warning_rank=Case(
            When(warning=RED, then=Value(0)),
            When(warning=YELLOW, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
    )


def warning_set_initial(task: Task, on: dt.date | None = None) -> None:
    """Set the warning of a task that is being created (recorded in its creation event)."""
    on = on or today()
    task.warning = warning_for(task, on)
    task.warning_since = on
    task.yellow_count = int(task.warning == YELLOW)
    task.red_count = int(task.warning == RED)


def task_warning_refresh(
    task: Task, *, on: dt.date | None = None, actor: Any = None, facts: WarningFacts | None = None
) -> bool:
    """Recompute and store the task's warning. Counts each entry into yellow or red (the escalation
    ladder reads the counts) and writes an event when the level changes. Returns True on a change.

    Called by every service that changes a task and by the daily job; cheap when nothing changed.
    """
    from zhenggai.core.actors import system_actor
    from zhenggai.core.events import event_record

    on = on or today()
    if task.pk is not None and task.status in WORKING:
        facts = _facts_for(task, on, facts)  # loaded once for the level and, on a change, its reasons
    level = warning_for(task, on, facts=facts)
    if level == task.warning:
        return False
    before = task.warning
    task.warning = level
    task.warning_since = on
    fields = ["warning", "warning_since"]
    if level == YELLOW:
        task.yellow_count += 1
        fields.append("yellow_count")
    elif level == RED:
        task.red_count += 1
        fields.append("red_count")
    Task.objects.filter(pk=task.pk).update(**{f: getattr(task, f) for f in fields})
    public_data_changed()  # an update() sends no signal: the portal's fingerprint must still move
    event_record(actor=actor or system_actor(), verb="task.warning_changed", obj=task,
                 data={"changes": {"warning": [before, level]}, "on": on,
                       "reasons": warning_reasons(task, on, facts=facts) if level != GREEN else []})
    return True


def warnings_refresh_all(
    *, on: dt.date | None = None, queryset: QuerySet[Task] | None = None, actor: Any = None
) -> int:
    """The daily job: recompute every open task's warning (and those that were not green). Returns the
    number of tasks whose level changed.

    Works in batches of 500 tasks; each batch costs a fixed number of queries, plus the update and
    event of each task whose level changed.
    """
    from zhenggai.core.actors import system_actor

    on = on or today()
    qs = queryset if queryset is not None else Task.objects.all()
    qs = qs.filter(Q(status__in=[s for s in TaskStatus.values if s not in ACCEPTED]) | ~Q(warning=GREEN))
    pks: Sequence[int] = list(qs.order_by("pk").values_list("pk", flat=True))
    changed = 0
    for start in range(0, len(pks), BATCH):
        tasks = list(Task.objects.filter(pk__in=pks[start:start + BATCH]).order_by("pk"))
        facts = warning_facts(tasks, on)
        for task in tasks:
            if warning_for(task, on, facts=facts) != task.warning:
                actor = actor or system_actor()
                changed += task_warning_refresh(task, on=on, actor=actor, facts=facts)
    return changed
