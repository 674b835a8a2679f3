"""Reads of tasks for pages, exports and the API. Every read starts from `scope_for`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from zhenggai.accounts.models import Organization
from zhenggai.accounts.policies import scope_for, task_party_q
from zhenggai.core.search import search_filter

from .models import Measure, Task
from .warnings import annotate_warning
from .workflow import OPEN_STATUSES

SORTS = {
    "number": ("plan_id", "number"),
    "-number": ("plan_id", "-number"),
    "deadline": ("deadline", "plan_id", "number"),
    "-deadline": ("-deadline", "plan_id", "number"),
    "warning": ("warning_rank", "deadline", "plan_id", "number"),
    "status": ("status", "plan_id", "number"),
    "updated": ("-updated_at",),
}


@dataclass
class TaskFilters:
    inspection: int | None = None
    plan: int | None = None
    unit: int | None = None
    unit_role: str = ""  # "implementing": only tasks the unit (or a sub-unit) implements; else any party
    category: str = ""
    year: int | None = None
    status: str = ""
    deadline_kind: str = ""
    warning: str = ""
    q: str = ""
    sort: str = "number"

    @classmethod
    def from_query(cls, params: Any) -> TaskFilters:
        def number(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            return int(value) if value.isdigit() else None

        def text(name: str) -> str:  # PostgreSQL refuses NUL in any string parameter
            return (params.get(name) or "").replace("\x00", "")

        sort = params.get("sort") or "number"
        return cls(
            inspection=number("inspection"),
            plan=number("plan"),
            unit=number("unit"),
            unit_role="implementing" if params.get("unit_role") == "implementing" else "",
            category=text("category"),
            year=number("year"),
            status=text("status"),
            deadline_kind=text("deadline_kind"),
            warning=text("warning"),
            q=text("q").strip()[:100],
            sort=sort if sort in SORTS else "number",
        )


def task_list_for_user(user: Any, filters: TaskFilters | None = None, *, on: dt.date | None = None) -> QuerySet[Task]:
    """The tasks `user` may see, filtered, annotated with their warning, sorted, ready to list."""
    filters = filters or TaskFilters()
    qs = scope_for(user, Task.objects.all())
    if filters.inspection:
        qs = qs.filter(plan__inspection_id=filters.inspection)
    if filters.plan:
        qs = qs.filter(plan_id=filters.plan)
    if filters.unit:
        unit = Organization.objects.filter(pk=filters.unit).only("path").first()
        if unit is None:
            qs = qs.none()
        elif filters.unit_role == "implementing":
            implementing = Task.implementing_units.through.objects.filter(
                organization_id__in=Organization.objects.filter(path__startswith=unit.path).values("pk"))
            qs = qs.filter(pk__in=implementing.values("task_id"))
        else:
            qs = qs.filter(task_party_q(unit.path))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.year:
        qs = qs.filter(due_year=filters.year)
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.deadline_kind:
        qs = qs.filter(deadline_kind=filters.deadline_kind)
    if filters.q:
        qs = search_filter(qs, filters.q)
    qs = annotate_warning(qs, on)
    if filters.warning:
        qs = qs.filter(warning=filters.warning)  # type: ignore[misc]
    return (
        qs.select_related("plan", "plan__inspection", "lead_unit", "acceptance_unit", "measure_area")
        .prefetch_related("implementing_units")
        .order_by(*SORTS[filters.sort])
    )


# Long texts the task tables do not show: left out of their rows (the search text alone is larger than
# everything the table shows of a task).
TABLE_DEFERRED = ("goal", "remarks", "search_text", "plan__summary", "plan__goals", "plan__guarantee_measures")


def task_table_rows(queryset: QuerySet[Task]) -> QuerySet[Task]:
    """The rows of a task table (task list, workbench): the task with its plan and acceptance unit in the
    same statement, its implementing units in one more, long texts left out. Fewer joined relations also
    keep the planning of the statement short next to the scope's id subqueries."""
    return queryset.select_related(None).select_related("plan", "acceptance_unit").defer(*TABLE_DEFERRED)


def task_detail_for_user(user: Any, pk: int) -> Task:
    from zhenggai.accounts.policies import get_for_user

    qs = annotate_warning(
        Task.objects.select_related(
            "plan", "plan__inspection", "lead_unit", "acceptance_unit", "measure_area", "region", "finding"
        ).prefetch_related(
            "implementing_units",
            "cooperating_units",
            "milestones",
            Prefetch("measures", queryset=Measure.objects.prefetch_related("units").order_by("number")),
        )
    )
    return get_for_user(user, qs, pk=pk)


def workbench_tasks(user: Any, *, on: dt.date | None = None) -> QuerySet[Task]:
    """The user's open tasks, red first, then yellow, then by deadline: for unit roles the tasks their
    unit is party to, for region-wide roles (office, leader, discipline) their whole region's."""
    qs = scope_for(user, Task.objects.filter(status__in=OPEN_STATUSES))
    return task_table_rows(
        annotate_warning(qs, on)
        .prefetch_related("implementing_units")
        .order_by("warning_rank", "deadline", "plan_id", "number")  # type: ignore[misc]
    )


def task_counts(queryset: QuerySet[Task]) -> dict[str, int]:
    from django.db.models import Count

    rows = queryset.order_by().values("warning").annotate(n=Count("pk"))  # type: ignore[misc]
    counts = {row["warning"]: row["n"] for row in rows}
    return {"red": counts.get("red", 0), "yellow": counts.get("yellow", 0), "green": counts.get("green", 0)}


def task_years_for_user(user: Any) -> list[int]:
    """The completion years of the tasks `user` may see, for the year filter: one DISTINCT query."""
    years = (scope_for(user, Task.objects.filter(due_year__gt=0)).order_by("due_year")
             .values_list("due_year", flat=True).distinct())
    return [year for year in years if year is not None]


def unit_filter_choices(user: Any) -> QuerySet[Organization]:
    return scope_for(user, Organization.objects.filter(
        Q(kind__in=[Organization.Kind.DEPARTMENT, Organization.Kind.TOWNSHIP, Organization.Kind.OFFICE])
    )).order_by("kind", "sort_order", "id")
