"""Reads for 督办推进: the warning board and supervision notices. Every read starts from `scope_for`.

Who sees which notices:
- the office: every notice about a task of its region, drafts included;
- leader and discipline: the issued ones (not drafts) of their region;
- unit roles: the issued ones addressed to their unit or a unit below it;
- superusers and the system actor: all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from zhenggai.accounts.models import UNIT_ROLES, Organization, Role
from zhenggai.accounts.policies import is_region_wide, is_system_actor, scope_for, user_has_role
from zhenggai.core.errors import NotFound

from .models import SupervisionNotice, Task
from .warnings import RED, YELLOW, today, warning_facts, warning_reasons
from .workflow import OPEN_STATUSES

Status = SupervisionNotice.Status
LIST_STATUSES = (Status.DRAFT, Status.ISSUED, Status.REPLIED, Status.ESCALATED, Status.CANCELLED)


def _privileged(user: Any) -> bool:
    return is_system_actor(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


def notice_scope(user: Any, queryset: QuerySet[SupervisionNotice]) -> QuerySet[SupervisionNotice]:
    """The notices of `queryset` that `user` may read (see the module docstring)."""
    qs = scope_for(user, queryset)
    if _privileged(user) or user_has_role(user, Role.OFFICE):
        return qs
    conditions = Q(pk__in=[])
    if is_region_wide(user):
        conditions |= Q(pk__isnull=False)
    org = getattr(user, "organization", None)
    if user_has_role(user, *UNIT_ROLES) and org is not None:
        conditions |= Q(unit__path__startswith=org.path)
    return qs.filter(conditions).exclude(status=Status.DRAFT)


def notice_visible(user: Any, notice: SupervisionNotice) -> bool:
    return notice_scope(user, SupervisionNotice.objects.filter(pk=notice.pk)).exists()


def notice_for_user(user: Any, pk: int) -> SupervisionNotice:
    """One notice the user may read, or NotFound (the same for hidden and for missing notices)."""
    qs = SupervisionNotice.objects.select_related(
        "task", "task__plan", "task__region", "unit", "issued_by", "replied_by", "escalated_from"
    )
    try:
        return notice_scope(user, qs).get(pk=pk)
    except SupervisionNotice.DoesNotExist as exc:
        raise NotFound() from exc


def notice_list_for_user(user: Any, *, status: str = "", task: int | None = None) -> QuerySet[SupervisionNotice]:
    qs = notice_scope(user, SupervisionNotice.objects.all())
    if status in Status.values:
        qs = qs.filter(status=status)
    if task:
        qs = qs.filter(task_id=task)
    return qs.select_related("task", "unit").order_by("-drafted_at", "-id")


def notice_counts(user: Any) -> dict[str, int]:
    rows = notice_scope(user, SupervisionNotice.objects.all()).order_by().values("status").annotate(n=Count("pk"))
    counts = {row["status"]: row["n"] for row in rows}
    return {s: counts.get(s, 0) for s in LIST_STATUSES}


def notices_for_task(user: Any, task: Task) -> QuerySet[SupervisionNotice]:
    return notice_scope(user, SupervisionNotice.objects.filter(task=task)).select_related(
        "unit", "replied_by").order_by("-drafted_at", "-id")


# ---------------------------------------------------------------------------------------------------
# the warning board

@dataclass
class BoardFilters:
    level: str = ""  # "", "red" or "yellow"
    unit: int | None = None

    @classmethod
    def from_query(cls, params: Mapping[str, Any]) -> BoardFilters:
        level = params.get("level") or ""
        unit = (params.get("unit") or "").strip()
        return cls(level=level if level in (RED, YELLOW) else "", unit=int(unit) if unit.isdigit() else None)


@dataclass
class UnitGroup:
    unit: Organization
    tasks: list[Task] = field(default_factory=list)

    @property
    def red(self) -> int:
        return sum(t.warning == RED for t in self.tasks)

    @property
    def yellow(self) -> int:
        return sum(t.warning == YELLOW for t in self.tasks)


@dataclass
class Board:
    on: dt.date
    groups: list[UnitGroup]
    red: int
    yellow: int
    units: list[Organization]  # units that have a red or yellow task, for the filter


def _own_prefix(user: Any) -> str | None:
    """Unit roles see their own unit's tasks on the board; region-wide roles see the whole region."""
    if _privileged(user) or is_region_wide(user):
        return None
    org = getattr(user, "organization", None)
    return org.path if org is not None else "/-/"


def warning_board_for_user(user: Any, filters: BoardFilters | None = None, *, on: dt.date | None = None) -> Board:
    """The open red and yellow tasks the user may see, grouped by implementing unit (a task with several
    implementing units appears under each), red first, then by deadline. Each task carries `reasons`.
    A fixed number of queries, whatever the number of tasks."""
    filters = filters or BoardFilters()
    on = on or today()
    prefix = _own_prefix(user)
    qs = scope_for(user, Task.objects.filter(status__in=OPEN_STATUSES, warning__in=[RED, YELLOW]))
    if prefix is not None:
        qs = qs.filter(Q(implementing_units__path__startswith=prefix) | Q(lead_unit__path__startswith=prefix))
    all_tasks = list(
        qs.distinct().select_related("plan", "lead_unit").prefetch_related("implementing_units")
        .order_by("deadline", "plan_id", "number")
    )
    all_tasks.sort(key=lambda t: 0 if t.warning == RED else 1)
    chosen_unit = Organization.objects.filter(pk=filters.unit).first() if filters.unit else None

    def units_of(task: Task) -> list[Organization]:
        units = [u for u in task.implementing_units.all() if prefix is None or u.path.startswith(prefix)]
        return units or ([task.lead_unit] if task.lead_unit else [])

    filter_units = {u.pk: u for t in all_tasks for u in units_of(t)}
    tasks = [t for t in all_tasks if not filters.level or t.warning == filters.level]
    if chosen_unit is not None:
        tasks = [t for t in tasks if any(u.path.startswith(chosen_unit.path) for u in units_of(t))]
    facts = warning_facts(tasks, on)
    groups: dict[int, UnitGroup] = {}
    for task in tasks:
        task.reasons = warning_reasons(task, on, facts=facts)  # type: ignore[attr-defined]
        for unit in units_of(task):
            if chosen_unit is not None and not unit.path.startswith(chosen_unit.path):
                continue
            groups.setdefault(unit.pk, UnitGroup(unit)).tasks.append(task)
    ordered = sorted(groups.values(), key=lambda g: (-g.red, -g.yellow, g.unit.sort_order, g.unit.pk))
    return Board(
        on=on,
        groups=ordered,
        red=sum(t.warning == RED for t in tasks),
        yellow=sum(t.warning == YELLOW for t in tasks),
        units=sorted(filter_units.values(), key=lambda u: (u.sort_order, u.pk)),
    )
