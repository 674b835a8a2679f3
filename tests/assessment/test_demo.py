"""The demo shows the feature: a rule set, this year's assessment computed from the demo's events (every
item with its event), and accountability cases, one answering a proposal of the escalation ladder."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.models import User
from zhenggai.assessment.models import AccountabilityCase, Assessment, ScoreItem
from zhenggai.assessment.selectors import latest_assessment, ranking_rows
from zhenggai.assessment.services import assessment_compute
from zhenggai.core.actors import system_actor
from zhenggai.demo.loader import load_demo

from .. import factories as f


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with f.rolled_back(django_db_blocker):
        yield load_demo()


@pytest.mark.django_db
def test_demo_assessment_and_cases(demo, client):
    today = timezone.localdate()
    year = Assessment.objects.get(period_kind="year")
    assert (year.start.year, year.end.year) == (today.year, today.year) and year.computed_at is not None
    rows = ranking_rows(assessment=year)
    assert len(rows) >= 10 and rows[0].rank == 1
    assert [r.score for r in rows] == sorted((r.score for r in rows), reverse=True)
    items = ScoreItem.objects.filter(assessment=year)
    assert items.exists() and not items.filter(event__isnull=True).exists()
    kinds = set(items.values_list("rule_kind", flat=True))
    assert {"red", "rebound", "yellow_repeated", "missed_report"} <= kinds
    assert latest_assessment(region=year.region, on=today).period_kind == "quarter"
    digest = year.digest
    assert assessment_compute(assessment=year, actor=system_actor()).digest == digest
    cases = AccountabilityCase.objects.all()
    assert cases.count() == 2 and cases.filter(proposal_event__isnull=False).count() == 1
    discipline = User.objects.get(username="discipline")
    assert set(cases.values_list("recorded_by", flat=True)) == {discipline.pk}
    client.force_login(discipline)
    assert client.get(reverse("accountability_list")).status_code == 200
    client.force_login(User.objects.get(username="head"))
    page = client.get(reverse("assessment_detail", args=[year.pk]))
    assert page.status_code == 200 and "区住房城乡建委" in page.content.decode()
