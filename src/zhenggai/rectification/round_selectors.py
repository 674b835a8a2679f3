"""Reads of dispatch rounds and progress reports for pages (DOMAIN §6, §9).

Visibility:
- rounds: office, leader and discipline see the rounds of their region (and sub-regions); unit roles
  see the rounds that include a task their organization (or a sub-unit) implements;
- reports: an approved report is seen by everyone who sees its task; drafts, submitted and returned
  reports only by the people of the unit (or a unit above it) and by the office.
Hidden and missing objects raise the same NotFound.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import UNIT_ROLES, Organization, Role
from zhenggai.accounts.policies import (
    get_for_user,
    is_region_wide,
    task_visible,
    user_has_role,
    user_region,
)
from zhenggai.core.errors import NotFound

from .models import DispatchRound, ProgressReport, Task
from .rounds import (
    EDITABLE,
    expected_percent,
    is_office_of,
    may_approve,
    may_return,
    privileged,
    report_prefill,
    reporting_units,
    schedule_judgement,
    task_latest_percent,
)
from .warnings import today
from .workflow import TaskStatus

APPROVED = ProgressReport.Status.APPROVED
SUBMITTED = ProgressReport.Status.SUBMITTED


class CellState:
    """What the board shows for one (task, unit) of a round."""

    APPROVED = "approved"  # 已报送: approved by the unit head (maybe late)
    SUBMITTED = "submitted"  # 待审核
    DRAFT = "draft"  # 草稿
    RETURNED = "returned"  # 已退回
    MISSING = "missing"  # 未报送: nothing yet, due date not passed
    OVERDUE = "overdue"  # 逾期: not approved and the due date has passed

    LABELS = {
        APPROVED: _("已报送"), SUBMITTED: _("待审核"), DRAFT: _("草稿"), RETURNED: _("已退回"),
        MISSING: _("未报送"), OVERDUE: _("逾期"),
    }


def cell_state(report: ProgressReport | None, due: dt.date, on: dt.date, *, detailed: bool = True) -> str:
    if report is not None and report.status == APPROVED:
        return CellState.APPROVED
    if on > due:
        return CellState.OVERDUE
    if report is None or not detailed:
        return CellState.MISSING
    return str(report.status)


# ---------------------------------------------------------------- scope


def rounds_for_user(user: Any) -> QuerySet[DispatchRound]:
    qs = DispatchRound.objects.all()
    if privileged(user):
        return qs
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return qs.none()
    conditions = Q(pk__in=[])
    region = user_region(user)
    if is_region_wide(user) and region is not None:
        conditions |= Q(region__path__startswith=region.path)
    org = getattr(user, "organization", None)
    if org is not None and user_has_role(user, *UNIT_ROLES):
        conditions |= Q(pk__in=DispatchRound.objects.filter(
            tasks__implementing_units__path__startswith=org.path).values("pk"))
    return qs.filter(conditions)


def sees_all_states(user: Any, rnd: DispatchRound) -> bool:
    """The office sees drafts and pending reports on the board; leaders see reported or not."""
    return is_office_of(user, rnd.region)


def visible_reports_q(user: Any, task: Task | None = None) -> Q:
    """Reports `user` may read among those of tasks they see."""
    if privileged(user):
        return Q()
    q = Q(status=APPROVED)
    region = user_region(user)
    if user_has_role(user, Role.OFFICE) and region is not None:
        q |= Q(task__region__path__startswith=region.path)
    org = getattr(user, "organization", None)
    if org is not None and user_has_role(user, *UNIT_ROLES):
        q |= Q(unit__path__startswith=org.path)
    return q


def _own_units_prefix(user: Any) -> str | None:
    """None: every unit (region-wide readers); else the path prefix of the user's units."""
    if privileged(user) or is_region_wide(user):
        return None
    org = getattr(user, "organization", None)
    return org.path if org is not None else "\0"


# ---------------------------------------------------------------- the office's list and board


@dataclass
class Counts:
    expected: int = 0  # 应报: (task, implementing unit) pairs of the round
    approved: int = 0  # 已报送
    submitted: int = 0  # 待审核
    late: int = 0  # 逾期: approved after the due date, plus not approved once the due date has passed
    missing: int = 0  # 未报送: expected − approved

    @property
    def percent(self) -> int:
        return round(100 * self.approved / self.expected) if self.expected else 0


@dataclass
class RoundRow:
    round: DispatchRound
    counts: Counts


def round_rows(user: Any, *, on: dt.date | None = None, status: str = "") -> list[RoundRow]:
    """The rounds `user` sees, newest first, each with its counts (a fixed number of queries)."""
    on = on or today()
    through = Task.implementing_units.through
    expected = (
        through.objects.filter(task__rounds=OuterRef("pk")).order_by().values("task__rounds")
        .annotate(n=Count("pk")).values("n")  # type: ignore[misc]
    )
    qs = rounds_for_user(user).select_related("region", "plan")
    if status:
        qs = qs.filter(status=status)
    qs = qs.annotate(
        n_expected=Coalesce(Subquery(expected, output_field=IntegerField()), Value(0)),
        n_approved=Count("reports", filter=Q(reports__status=APPROVED)),
        n_late_approved=Count("reports", filter=Q(reports__status=APPROVED, reports__is_late=True)),
        n_submitted=Count("reports", filter=Q(reports__status=SUBMITTED)),
    ).order_by("-period_start", "-id")
    rows = []
    for rnd in qs:
        missing = max(rnd.n_expected - rnd.n_approved, 0)  # type: ignore[attr-defined]
        overdue = missing if on > rnd.due_date else 0
        rows.append(RoundRow(rnd, Counts(
            expected=rnd.n_expected, approved=rnd.n_approved, submitted=rnd.n_submitted,  # type: ignore[attr-defined]
            late=rnd.n_late_approved + overdue, missing=missing,  # type: ignore[attr-defined]
        )))
    return rows


@dataclass
class Cell:
    task: Task
    unit: Organization
    report: ProgressReport | None
    state: str
    late: bool

    @property
    def label(self) -> str:
        return str(CellState.LABELS[self.state])


@dataclass
class UnitRow:
    unit: Organization
    cells: list[Cell] = field(default_factory=list)

    @property
    def outstanding(self) -> int:
        return sum(c.state != CellState.APPROVED for c in self.cells)


@dataclass
class Board:
    round: DispatchRound
    units: list[UnitRow]
    counts: Counts
    detailed: bool


def _count(cells: list[Cell]) -> Counts:
    approved = sum(c.state == CellState.APPROVED for c in cells)
    return Counts(
        expected=len(cells), approved=approved, missing=len(cells) - approved,
        submitted=sum(c.report is not None and c.report.status == SUBMITTED for c in cells),
        late=sum(c.late for c in cells),
    )


def round_for_user(user: Any, pk: int) -> DispatchRound:
    """One round the user may see, or NotFound (the same for hidden and missing rounds)."""
    try:
        return rounds_for_user(user).select_related("region", "plan", "opened_by").get(pk=pk)
    except DispatchRound.DoesNotExist as exc:
        raise NotFound() from exc


def round_board(user: Any, rnd: DispatchRound, *, on: dt.date | None = None) -> Board:
    """Per implementing unit, per task of the round: the report's state (4 queries whatever the size).
    Unit users see only their own units' rows."""
    on = on or today()
    detailed = sees_all_states(user, rnd) or not is_region_wide(user)
    prefix = _own_units_prefix(user)
    tasks = list(rnd.tasks.select_related("plan").prefetch_related("implementing_units").order_by("plan_id", "number"))
    reports = {
        (r.task_id, r.unit_id): r
        for r in ProgressReport.objects.filter(round=rnd).select_related("drafted_by", "approved_by")
    }
    rows: dict[int, UnitRow] = {}
    for task in tasks:
        for unit in task.implementing_units.all():
            if prefix is not None and not unit.path.startswith(prefix):
                continue
            report = reports.get((task.pk, unit.pk))
            state = cell_state(report, rnd.due_date, on, detailed=detailed)
            late = state == CellState.OVERDUE or bool(report and report.status == APPROVED and report.is_late)
            if not detailed and report is not None and report.status != APPROVED:
                report = None
            rows.setdefault(unit.pk, UnitRow(unit)).cells.append(Cell(task, unit, report, state, late))
    ordered = sorted(rows.values(), key=lambda r: (-r.outstanding, r.unit.sort_order, r.unit.path))
    return Board(rnd, ordered, _count([c for r in ordered for c in r.cells]), detailed)


# ---------------------------------------------------------------- the units' list


@dataclass
class UnitRound:
    round: DispatchRound
    cells: list[Cell]

    @property
    def outstanding(self) -> int:
        return sum(c.state != CellState.APPROVED for c in self.cells)


def unit_rounds(user: Any, *, on: dt.date | None = None, limit: int = 12) -> list[UnitRound]:
    """The rounds in which the user's units owe reports: open rounds, and closed ones with reports still
    missing (late reports are still accepted). Each with its (task, unit) cells."""
    on = on or today()
    org = getattr(user, "organization", None)
    if org is None or not user_has_role(user, *UNIT_ROLES):
        return []
    rounds = list(rounds_for_user(user).order_by("-period_start", "-id")[:limit])
    if not rounds:
        return []
    ids = [r.pk for r in rounds]
    pairs = set(
        DispatchRound.tasks.through.objects.filter(
            dispatchround_id__in=ids, task__implementing_units__path__startswith=org.path
        ).values_list("dispatchround_id", "task_id")
    )
    tasks = {
        t.pk: t for t in Task.objects.filter(pk__in={t for _r, t in pairs})
        .select_related("plan").prefetch_related("implementing_units")
    }
    reports = {
        (r.round_id, r.task_id, r.unit_id): r
        for r in ProgressReport.objects.filter(round_id__in=ids, unit__path__startswith=org.path)
    }
    result = []
    for rnd in rounds:
        cells = []
        for task in sorted((tasks[t] for r, t in pairs if r == rnd.pk), key=lambda t: (t.plan_id, t.number)):
            for unit in task.implementing_units.all():
                if not unit.path.startswith(org.path):
                    continue
                report = reports.get((rnd.pk, task.pk, unit.pk))
                state = cell_state(report, rnd.due_date, on)
                late = state == CellState.OVERDUE or bool(report and report.status == APPROVED and report.is_late)
                cells.append(Cell(task, unit, report, state, late))
        item = UnitRound(rnd, cells)
        if cells and (rnd.status == DispatchRound.Status.OPEN or item.outstanding):
            result.append(item)
    return result


def reports_awaiting_approval(user: Any) -> list[ProgressReport]:
    """Submitted reports of the head's units (with those the head wrote: shown, but not approvable)."""
    org = getattr(user, "organization", None)
    if org is None or not user_has_role(user, Role.UNIT_HEAD):
        return []
    return list(
        ProgressReport.objects.filter(status=SUBMITTED, unit__path__startswith=org.path)
        .select_related("task", "round", "unit", "drafted_by")
        .order_by("submitted_at", "id")
    )


def adhoc_reports_in_progress(user: Any) -> list[ProgressReport]:
    """Reports outside rounds that the user's units have not had approved yet."""
    org = getattr(user, "organization", None)
    if org is None or not user_has_role(user, Role.UNIT_STAFF, Role.UNIT_HEAD):
        return []
    return list(
        ProgressReport.objects.filter(round__isnull=True, unit__path__startswith=org.path)
        .exclude(status=APPROVED).select_related("task", "unit").order_by("-updated_at")
    )


# ---------------------------------------------------------------- the report page


@dataclass
class ReportPage:
    round: DispatchRound | None
    task: Task
    unit: Organization
    units: list[Organization]  # the units the user may report for (a choice when more than one)
    report: ProgressReport | None  # the report being written, or the round's report
    previous: ProgressReport | None  # the unit's last approved report before this one
    initial: dict[str, Any]
    can_write: bool
    can_approve: bool
    can_return: bool
    is_own: bool  # a head looking at a submitted report they wrote themselves


def report_page(user: Any, *, task_pk: int, round_pk: int | None = None, unit_pk: int | None = None) -> ReportPage:
    """What the report page shows `user`. NotFound when the task or round is hidden or missing, the task
    is not in the round, or the user may neither write nor read the unit's report."""
    task = get_for_user(user, Task.objects.select_related("plan", "plan__inspection"), pk=task_pk)
    rnd = None
    if round_pk is not None:
        rnd = round_for_user(user, round_pk)
        if not rnd.tasks.filter(pk=task.pk).exists():
            raise NotFound()
    units = reporting_units(user, task)
    candidates = units or list(task.implementing_units.all())
    unit = next((u for u in candidates if u.pk == unit_pk), None) if unit_pk else None
    if unit is None:
        if unit_pk:
            raise NotFound()
        org_id = getattr(user, "organization_id", None)
        unit = next((u for u in candidates if u.pk == org_id), candidates[0] if candidates else None)
    if unit is None:
        raise NotFound()
    qs = ProgressReport.objects.filter(task=task, unit=unit).select_related("drafted_by", "approved_by", "round")
    if rnd is not None:
        report = qs.filter(round=rnd).prefetch_related("evidence").first()
    else:
        report = qs.filter(round__isnull=True).exclude(status=APPROVED).prefetch_related("evidence").first()
    if report is not None and not units and not ProgressReport.objects.filter(
            visible_reports_q(user), pk=report.pk).exists():
        report = None
    previous = (
        ProgressReport.objects.filter(task=task, unit=unit, status=APPROVED)
        .exclude(pk__in=[report.pk] if report is not None else []).order_by("-approved_at", "-id").first()
    )
    writable = bool(units) and task.status != TaskStatus.CLOSED and (report is None or report.status in EDITABLE)
    submitted = report is not None and report.status == SUBMITTED
    if report is not None:
        initial = {name: getattr(report, name) for name in ("stage", "description", "percent", "next_steps")}
    else:
        initial = report_prefill(task, unit)
    return ReportPage(
        round=rnd, task=task, unit=unit, units=units, report=report, previous=previous, initial=initial,
        can_write=writable,
        can_approve=submitted and may_approve(user, report),  # type: ignore[arg-type]
        can_return=submitted and may_return(user, report),  # type: ignore[arg-type]
        is_own=submitted and report.drafted_by_id == user.pk and may_return(user, report),  # type: ignore[union-attr,arg-type]
    )


# ---------------------------------------------------------------- the task page panel


@dataclass
class ReportLink:
    round: DispatchRound | None
    unit: Organization
    state: str


@dataclass
class ReportsPanel:
    reports: list[ProgressReport]
    latest_percent: int | None
    expected: float | None
    judgement: str
    links: list[ReportLink]
    multiple_units: bool
    can_report: bool


def task_reports_panel(user: Any, task: Task, *, on: dt.date | None = None) -> ReportsPanel:
    """The task's reports as a timeline (what the user may read), the latest percent, the 序时进度
    judgement and, for the people of an implementing unit, links to the reports they owe in open rounds."""
    on = on or today()
    if not task_visible(user, task):
        return ReportsPanel([], None, None, "", [], False, False)
    reports = list(
        ProgressReport.objects.filter(task=task).filter(visible_reports_q(user))
        .select_related("unit", "round", "drafted_by", "approved_by").prefetch_related("evidence")
        .order_by("-created_at", "-id")
    )
    approved = ProgressReport.objects.filter(task=task, status=APPROVED).only("unit_id", "percent", "approved_at",
                                                                              "status")
    latest = task_latest_percent(task, approved)
    units = reporting_units(user, task) if task.status != TaskStatus.CLOSED else []
    links = []
    if units:
        open_rounds = list(task.rounds.filter(status=DispatchRound.Status.OPEN).order_by("-period_start", "-id"))
        mine = {(r.round_id, r.unit_id): r for r in reports if r.round_id}
        for rnd in open_rounds:
            for unit in units:
                report = mine.get((rnd.pk, unit.pk))
                links.append(ReportLink(rnd, unit, cell_state(report, rnd.due_date, on)))
    return ReportsPanel(
        reports=reports, latest_percent=latest, expected=expected_percent(task, on),
        judgement=schedule_judgement(task, on, latest_percent=latest), links=links,
        multiple_units=len(units) > 1, can_report=bool(units),
    )

