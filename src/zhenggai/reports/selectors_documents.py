"""Reads behind the generated documents. Every read starts from `scope_for` (directly or through the
selectors of the owning app), so a document never shows more than its reader may see."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet

from zhenggai.accounts.models import REGION_WIDE_ROLES, Region, Role
from zhenggai.accounts.policies import is_system_actor, scope_for, user_has_role, user_region
from zhenggai.core.errors import PermissionDenied
from zhenggai.core.events import chain_key_for
from zhenggai.core.models import Event
from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import (
    AcceptanceApplication,
    LookBack,
    Objection,
    ProgressReport,
    PublicNotice,
    SupervisionNotice,
    Task,
)
from zhenggai.rectification.selectors import TaskFilters, task_list_for_user

from .models import Bulletin

# ---------------------------------------------------------------------------------------------------
# the filtered ledger


def ledger_tasks_for_user(user: Any, params: Mapping[str, Any]) -> QuerySet[Task]:
    """The tasks of the staff task list for the same query parameters (`TaskFilters.from_query`):
    what the user sees on the list is exactly what the ledger holds."""
    return task_list_for_user(user, TaskFilters.from_query(params))


# ---------------------------------------------------------------------------------------------------
# bulletins


def _privileged(user: Any) -> bool:
    return is_system_actor(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


def may_read_bulletins(user: Any) -> bool:
    """Bulletins are read by the region-wide roles (office, leader, discipline)."""
    return _privileged(user) or user_has_role(user, *REGION_WIDE_ROLES)


def may_request_bulletin(user: Any, region: Region | None = None) -> bool:
    """Only the office generates bulletins, for its own region or a sub-region of it."""
    if _privileged(user):
        return True
    if not user_has_role(user, Role.OFFICE):
        return False
    own = user_region(user)
    return own is not None and (region is None or region.path.startswith(own.path))


def bulletins_for_user(user: Any) -> QuerySet[Bulletin]:
    """The bulletins of the user's region and its sub-regions; PermissionDenied for other roles."""
    if not may_read_bulletins(user):
        raise PermissionDenied()
    qs = Bulletin.objects.select_related("region", "requested_by")
    if _privileged(user):
        return qs
    region = user_region(user)
    return qs.filter(region__path__startswith=region.path) if region is not None else qs.none()


# ---------------------------------------------------------------------------------------------------
# the dossier (一案一档)


@dataclass
class ApplicationRecord:
    application: AcceptanceApplication
    review: Any  # AcceptanceReview | None
    evidence_names: list[str]


@dataclass
class NoticeRecord:
    notice: PublicNotice
    objections: list[Objection] = field(default_factory=list)


@dataclass
class Dossier:
    """Everything one task's file holds, as the reader may see it. Objections carry no contact data."""

    task: Task
    events: list[Event]
    reports: list[ProgressReport]
    applications: list[ApplicationRecord]
    notices: list[NoticeRecord]
    look_backs: list[LookBack]
    supervision: list[SupervisionNotice]
    evidence: list[Any]


def dossier_for_user(user: Any, task: Task) -> Dossier:
    """The dossier of `task` (already read through `task_detail_for_user`). Progress reports follow
    `visible_reports_q` (drafts stay with their unit), supervision notices `notices_for_task` (drafts
    stay with the office), evidence `evidence_for_task`."""
    from zhenggai.evidence.selectors import evidence_for_task
    from zhenggai.rectification.round_selectors import visible_reports_q
    from zhenggai.rectification.supervision_selectors import notices_for_task

    events = list(Event.objects.filter(chain__key=chain_key_for(task)).order_by("seq"))
    reports = list(
        scope_for(user, ProgressReport.objects.filter(task=task)).filter(visible_reports_q(user, task))
        .select_related("round", "unit", "drafted_by", "approved_by").order_by("created_at", "id")
    )
    applications = [
        ApplicationRecord(a, getattr(a, "review", None), [e.original_name for e in a.evidence.all()])
        for a in scope_for(user, AcceptanceApplication.objects.filter(task=task))
        .select_related("unit", "applied_by", "review", "review__reviewer")
        .prefetch_related("evidence").order_by("applied_at", "id")
    ]
    notices = [
        NoticeRecord(n, list(n.objections.all()))
        for n in scope_for(user, PublicNotice.objects.filter(task=task)).prefetch_related(
            Prefetch("objections", queryset=Objection.objects.only(
                "id", "notice_id", "content", "submitted_at", "status", "upheld", "answer", "answered_at"
            ).order_by("submitted_at", "id"))
        ).order_by("start_date", "id")
    ]
    look_backs = list(scope_for(user, LookBack.objects.filter(task=task)).select_related("rebound_task", "checked_by")
                      .order_by("scheduled_date", "id"))
    supervision = list(notices_for_task(user, task).order_by("drafted_at", "id"))
    evidence = list(evidence_for_task(user, task).order_by("uploaded_at", "id"))
    return Dossier(task, events, reports, applications, notices, look_backs, supervision, evidence)


# ---------------------------------------------------------------------------------------------------
# the closure notice table (验收销号公示表)


def closure_notices_for_plan(user: Any, plan: Plan, *, date_from: dt.date | None = None,
                             date_to: dt.date | None = None) -> QuerySet[PublicNotice]:
    """The plan's public notices the user may see (withdrawn ones left out), by start date and task
    number, optionally only those starting within [date_from, date_to]."""
    qs = scope_for(user, PublicNotice.objects.filter(task__plan=plan)).exclude(status=PublicNotice.Status.WITHDRAWN)
    if date_from:
        qs = qs.filter(start_date__gte=date_from)
    if date_to:
        qs = qs.filter(start_date__lte=date_to)
    return (qs.select_related("task").prefetch_related("task__implementing_units")
            .order_by("start_date", "task__number", "id"))

