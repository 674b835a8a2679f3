"""Reads of assessment and accountability. `latest_assessment` and `ranking_rows` are the interface other
parts (the monthly bulletin, dashboards) call; keep their signatures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from zhenggai.accounts.models import Organization, Region
from zhenggai.core.errors import NotFound
from zhenggai.core.models import Event
from zhenggai.rectification.models import SupervisionNotice, Task

from .engine import ids_as_text
from .models import AccountabilityCase, Assessment, ScoreItem, UnitScore
from .policies import (
    assessments_for,
    cases_for,
    may_read_cases,
    may_see_unit,
    own_unit_filter,
    privileged,
    sees_all_units,
)


@dataclass(frozen=True)
class RankingRow:
    rank: int
    unit_id: int
    unit_name: str
    score: Decimal
    deductions: Decimal
    bonuses: Decimal
    items: int


def latest_assessment(*, region: Region, on: dt.date) -> Assessment | None:
    """The computed assessment of `region` (exactly that region) most relevant on day `on`: among those whose
    period has begun by `on`, the one ending latest, then the shortest (a quarter before its year)."""
    return (
        Assessment.objects.filter(region=region, start__lte=on, computed_at__isnull=False)
        .select_related("region", "rule_set").order_by("-end", "-start", "-computed_at", "-id").first()
    )


def ranking_rows(*, assessment: Assessment) -> list[RankingRow]:
    """The units of a computed assessment by score (highest first, then by unit name). Ties share a rank
    and the next rank skips (competition ranking 1, 2, 2, 4). One query."""
    scores = list(UnitScore.objects.filter(assessment=assessment).select_related("unit"))
    scores.sort(key=lambda s: (-s.score, s.unit.name, s.unit_id))
    rows: list[RankingRow] = []
    for index, s in enumerate(scores):
        rank = rows[-1].rank if rows and rows[-1].score == s.score else index + 1
        rows.append(RankingRow(rank=rank, unit_id=s.unit_id, unit_name=s.unit.name, score=s.score,
                               deductions=s.deductions, bonuses=s.bonuses, items=s.items))
    return rows


def assessment_list_for_user(user: Any) -> QuerySet[Assessment]:
    return assessments_for(user).select_related("region", "rule_set")


def assessment_for_user(user: Any, pk: int) -> Assessment:
    try:
        return assessment_list_for_user(user).get(pk=pk)
    except Assessment.DoesNotExist as exc:
        raise NotFound() from exc


def unit_for_user(user: Any, assessment: Assessment, org_pk: int) -> Organization:
    """A unit whose items the user may read in the assessment (a unit scored in it), else NotFound."""
    unit = Organization.objects.filter(pk=org_pk).first()
    if unit is None or not may_see_unit(user, assessment, unit):
        raise NotFound()
    if not UnitScore.objects.filter(assessment=assessment, unit=unit).exists():
        raise NotFound()
    return unit


def items_for_user(user: Any, assessment: Assessment, unit: Organization | None = None) -> QuerySet[ScoreItem]:
    """Score items the user may read (every unit's for region-wide roles, their own unit's for unit roles),
    of one unit when given, with what the pages show loaded."""
    qs = ScoreItem.objects.filter(assessment=assessment)
    if not sees_all_units(user, assessment):
        qs = qs.filter(own_unit_filter(user))
    if unit is not None:
        qs = qs.filter(unit=unit)
    return qs.select_related("unit", "event", "task", "complaint").order_by("unit__name", "unit_id", "date", "id")


def item_event_for_user(user: Any, assessment: Assessment, event_pk: int) -> tuple[Event, list[ScoreItem]]:
    """An event behind one of the items the user may read, with those items."""
    items = list(items_for_user(user, assessment).filter(event_id=event_pk))
    if not items or items[0].event is None:
        raise NotFound()
    return items[0].event, items


def own_units(user: Any, assessment: Assessment) -> set[int]:
    """The units whose items `user` may open in the ranking (all, for region-wide roles)."""
    unit_ids = UnitScore.objects.filter(assessment=assessment)
    if not sees_all_units(user, assessment):
        unit_ids = unit_ids.filter(own_unit_filter(user))
    return set(unit_ids.values_list("unit_id", flat=True))


# ── accountability ──

@dataclass(frozen=True)
class Proposal:
    """An open proposal of the escalation ladder: a `task.accountability_proposed` event, or a draft or
    issued 约谈建议 (its `supervision.drafted` event)."""

    event: Event
    kind: str  # "accountability" or "talk"
    task: Task
    notice: SupervisionNotice | None
    day: dt.date
    text: str


def case_list_for_user(user: Any) -> QuerySet[AccountabilityCase]:
    return cases_for(user).select_related("region", "recorded_by").prefetch_related("people")


def case_for_user(user: Any, pk: int) -> AccountabilityCase:
    try:
        return case_list_for_user(user).get(pk=pk)
    except AccountabilityCase.DoesNotExist as exc:
        raise NotFound() from exc


def open_proposals(user: Any) -> list[Proposal]:
    """The ladder's proposals in the user's region that no accountability case answers yet, newest first."""
    from zhenggai.accounts.policies import user_region

    region = user_region(user)
    if not may_read_cases(user) or (region is None and not privileged(user)):
        return []
    tasks = Task.objects.all() if region is None else Task.objects.filter(region__path__startswith=region.path)
    answered = set(AccountabilityCase.objects.exclude(proposal_event=None).values_list("proposal_event_id", flat=True))
    proposals: list[Proposal] = []
    events = Event.objects.filter(verb="task.accountability_proposed", object_type="task",
                                  object_id__in=ids_as_text(tasks)).exclude(pk__in=answered)
    task_by_id = {t.pk: t for t in tasks.filter(pk__in=[int(e.object_id) for e in events])}
    for event in events:
        task = task_by_id[int(event.object_id)]
        reasons = "；".join(str(r) for r in (event.data or {}).get("reasons") or [])
        proposals.append(Proposal(event=event, kind="accountability", task=task, notice=None,
                                  day=timezone.localdate(event.created_at), text=reasons))
    notices = {n.pk: n for n in SupervisionNotice.objects.filter(
        kind=SupervisionNotice.Kind.TALK, status__in=[SupervisionNotice.Status.DRAFT, SupervisionNotice.Status.ISSUED],
        task__in=tasks).select_related("task", "unit")}
    drafted = Event.objects.filter(verb="supervision.drafted", object_type="supervisionnotice",
                                   object_id__in=[str(pk) for pk in notices]).exclude(pk__in=answered)
    for event in drafted:
        notice = notices[int(event.object_id)]
        proposals.append(Proposal(event=event, kind="talk", task=notice.task, notice=notice,
                                  day=timezone.localdate(event.created_at), text=notice.reason))
    proposals.sort(key=lambda p: (p.event.created_at, p.event.pk), reverse=True)
    return proposals


def proposal_for_user(user: Any, event_pk: int) -> Proposal:
    found = next((p for p in open_proposals(user) if p.event.pk == event_pk), None)
    if found is None:
        raise NotFound()
    return found
