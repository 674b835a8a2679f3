"""Reads of inspections and plans, scoped to the user."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from zhenggai.accounts.policies import scope_for
from zhenggai.rectification.models import Task
from zhenggai.rectification.workflow import TaskStatus

from .models import Inspection, Plan


def inspection_list_for_user(user: Any) -> QuerySet[Inspection]:
    return (
        scope_for(user, Inspection.objects.select_related("group", "target_region"))
        .annotate(plan_count=Count("plans", distinct=True))
        .order_by("-start_date", "-id")
    )


def plan_figures(user: Any, plan: Plan) -> dict[str, Any]:
    """Task counts of the plan the user may see: total, closed, and by due year."""
    tasks = scope_for(user, Task.objects.filter(plan=plan))
    rows = tasks.values("due_year").annotate(
        total=Count("pk"), closed=Count("pk", filter=Q(status=TaskStatus.CLOSED))
    ).order_by("due_year")
    by_year = [{"year": r["due_year"], "total": r["total"], "closed": r["closed"]} for r in rows]
    return {
        "total": sum(r["total"] for r in by_year),
        "closed": sum(r["closed"] for r in by_year),
        "by_year": by_year,
    }
