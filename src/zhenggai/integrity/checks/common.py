"""Helpers the checks share: reading in bulk within a scope, fetching the subjects of findings in a few
queries, names of tasks, units and complaints for the reasons, dates as the pages show them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from django.db import models
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhenggai.core.templatetags.zg import cn_date

from .base import Scope

CHUNK = 500
M = TypeVar("M", bound=models.Model)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def nothing_in_scope(scope: Scope, *, tasks: bool = True, complaints: bool = False) -> bool:
    """True when the scope names no task (or complaint) at all, so a check about tasks (complaints) has
    nothing to look at."""
    task_empty = scope.task_ids is not None and not scope.task_ids
    complaint_empty = scope.complaint_ids is not None and not scope.complaint_ids
    if tasks and complaints:
        return task_empty and complaint_empty
    return task_empty if tasks else complaint_empty


def scoped(queryset: QuerySet[M], scope: Scope, *, task_field: str | None = "task_id",
           complaint_field: str | None = None) -> QuerySet[M]:
    """`queryset` limited to the rows of the scope's tasks / complaints (all rows for the nightly run)."""
    if scope.everything:
        return queryset
    condition = Q(pk__in=[])
    for field, ids in ((task_field, scope.task_ids), (complaint_field, scope.complaint_ids)):
        if field is None:
            continue
        if ids is None:  # every task (complaint) is in scope
            return queryset
        condition |= Q(**{f"{field}__in": sorted(ids)})
    return queryset.filter(condition)


def fetch(model: type[M], ids: Iterable[int], *related: str) -> dict[int, M]:
    """The rows of `model` with these ids, with `related` joined (what their __str__ needs), in
    chunks: a few queries whatever the number of findings."""
    wanted = sorted(set(ids))
    found: dict[int, M] = {}
    for part in chunks(wanted):
        queryset = model._default_manager.filter(pk__in=part)
        if related:
            queryset = queryset.select_related(*related)
        found.update({row.pk: row for row in queryset})
    return found


def values_by_id(queryset: QuerySet[Any], ids: Iterable[int], *fields: str) -> dict[int, dict[str, Any]]:
    wanted = sorted(set(ids))
    out: dict[int, dict[str, Any]] = {}
    for part in chunks(wanted):
        for row in queryset.filter(pk__in=part).values("pk", *fields):
            out[row["pk"]] = row
    return out


def task_names(ids: Iterable[int]) -> dict[int, str]:
    """task id → “序号. 存在问题（前 30 字）” for the reasons."""
    from zhenggai.rectification.models import Task

    return {pk: f"{row['number']}. {short(row['title'], 30)}"
            for pk, row in values_by_id(Task.objects.all(), ids, "number", "title").items()}


def unit_names(ids: Iterable[int | None]) -> dict[int, str]:
    from zhenggai.accounts.models import Organization

    return {pk: row["short_name"] or row["name"]
            for pk, row in values_by_id(Organization.objects.all(), [i for i in ids if i], "name",
                                        "short_name").items()}


def complaint_numbers(ids: Iterable[int]) -> dict[int, str]:
    from zhenggai.complaints.models import Complaint

    return {pk: row["acceptance_number"]
            for pk, row in values_by_id(Complaint.objects.all(), ids, "acceptance_number").items()}


def short(text: str, length: int = 30) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= length else text[:length] + "…"


def day(value: dt.date | dt.datetime | None) -> str:
    """2025年3月3日, in the deployment's time zone for moments."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return cn_date(value)


def iso(value: dt.date | dt.datetime | None) -> str | None:
    """A date or moment for a finding's evidence (JSON)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.isoformat()
