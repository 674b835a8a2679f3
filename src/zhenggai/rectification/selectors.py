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
        unit = Organization.objects.filter(pk=filters.unit).first()
        party = (Q(implementing_units__path__startswith=unit.path) if filters.unit_role == "implementing"
                 else task_party_q(unit.path)) if unit else Q(pk__in=[])
        qs = qs.filter(pk__in=Task.objects.filter(party).values("pk")) if unit else qs.none()
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
    return (
        annotate_warning(qs, on)
        .select_related("plan", "lead_unit", "acceptance_unit")
        .prefetch_related("implementing_units")
        .order_by("warning_rank", "deadline", "plan_id", "number")  # type: ignore[misc]
    )


def task_counts(queryset: QuerySet[Task]) -> dict[str, int]:
    from django.db.models import Count

    rows = queryset.order_by().values("warning").annotate(n=Count("pk"))  # type: ignore[misc]
    counts = {row["warning"]: row["n"] for row in rows}
    return {"red": counts.get("red", 0), "yellow": counts.get("yellow", 0), "green": counts.get("green", 0)}


def unit_filter_choices(user: Any) -> QuerySet[Organization]:
    return scope_for(user, Organization.objects.filter(
        Q(kind__in=[Organization.Kind.DEPARTMENT, Organization.Kind.TOWNSHIP, Organization.Kind.OFFICE])
    )).order_by("kind", "sort_order", "id")
