"""The demo's 51 complaint cases of the Liangping inspection: batches during the inspection, every
handling and review state, a priority case, a repeat pair, confidential data in the raw texts, the
published batches and the ones still unpublished."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest

from zhenggai.accounts.models import Region
from zhenggai.complaints.models import Complainant, Complaint, HandoverBatch
from zhenggai.complaints.redaction import find_sensitive
from zhenggai.core.actors import system_actor
from zhenggai.core.models import Event
from zhenggai.demo import data_complaints, data_orgs
from zhenggai.inspections.models import Inspection

from .. import factories as f

TEXT_FIELDS = ("summary", "investigation", "handling", "accountability", "remarks", "handling_goal")


def load_demo_with_complaints() -> dict:
    """The demo (`load_demo`), with its complaint cases."""
    from zhenggai.demo.complaints_loader import load_complaints
    from zhenggai.demo.loader import load_demo

    summary = load_demo()
    if not Complaint.objects.exists():  # until demo/loader.py calls load_complaints itself
        load_complaints(actor=system_actor(), inspection=Inspection.objects.get(pk=summary["inspection_id"]))
    return summary


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo, loaded once for the module in a transaction rolled back afterwards (evidence files in a
    temporary media root)."""
    with f.rolled_back(django_db_blocker, media_root=tmp_path_factory.mktemp("media")):
        yield load_demo_with_complaints()


@pytest.fixture
def demo(loaded_demo, db):
    return loaded_demo


@pytest.fixture
def liangping(demo):
    return Inspection.objects.get(pk=demo["inspection_id"])


def test_the_data_module_holds_51_cases():
    assert len(data_complaints.CASES) == 51
    assert len({c.number for c in data_complaints.CASES}) == 51
    assert {c.batch for c in data_complaints.CASES} == {n for n, _d in data_complaints.BATCHES}
    assert {c.township for c in data_complaints.CASES} - {"梁平区"} <= set(data_orgs.TOWNSHIPS)


def test_51_cases_in_batches_during_the_inspection(liangping):
    cases = Complaint.objects.filter(inspection=liangping)
    assert cases.count() == 51 and all(c.is_sample for c in cases)
    batches = list(HandoverBatch.objects.filter(inspection=liangping).order_by("number"))
    assert [b.number for b in batches] == list(range(1, 13))
    assert all(dt.date(2024, 11, 19) <= b.handed_over <= dt.date(2024, 12, 2) for b in batches)
    assert all(liangping.start_date <= b.handed_over <= liangping.end_date for b in batches)
    assert sorted(b.handed_over for b in batches) == [b.handed_over for b in batches]
    assert all(b.complaints.exists() for b in batches)
    for batch in batches:
        assert list(batch.complaints.order_by("sequence").values_list("sequence", flat=True)) == list(
            range(1, batch.complaints.count() + 1))
    assert cases.filter(region__isnull=False).count() == 51
    assert cases.filter(lead_unit__isnull=True).count() == 0
    assert cases.values("region").distinct().count() >= 20
    assert Region.objects.filter(pk__in=cases.values("region"), level=Region.Level.TOWNSHIP).count() >= 20


def test_every_status_and_review_state_is_present(liangping):
    cases = Complaint.objects.filter(inspection=liangping)
    assert set(cases.values_list("status", flat=True)) == {"received", "investigating", "stage_done", "done"}
    assert set(cases.values_list("review_status", flat=True)) == {"draft", "submitted", "approved", "returned"}
    assert set(cases.exclude(truthfulness="").values_list("truthfulness", flat=True)) == {
        "true", "mostly_true", "partly_true", "false"}
    published = Counter(c.published_data["是否办结"] for c in cases.filter(published_at__isnull=False))
    assert set(published) == {"已办结", "阶段性办结", "未办结"}
    # a 不属实 conclusion carries its evidence; a returned result carries the office's reason
    assert all(c.evidence.exists() for c in cases.filter(truthfulness="false"))
    assert cases.filter(review_status="returned").exclude(review_note="").exists()
    assert Event.objects.filter(verb="complaint.returned", object_type="complaint").count() >= 2


def test_numbers_priority_and_repeat_pair(liangping):
    cases = Complaint.objects.filter(inspection=liangping)
    assert cases.filter(channel__in=["D", "X"]).count() >= 30
    assert cases.filter(acceptance_number__startswith="渝督〔2024〕8-").count() >= 4
    priority = cases.filter(is_priority=True)
    assert priority.count() >= 1
    assert all(p.published_data["受理编号"].endswith("★") for p in priority.filter(published_at__isnull=False))
    repeat = cases.get(repeat_of__isnull=False)
    assert repeat.repeat_of.region == repeat.region and repeat.repeat_of.lead_unit == repeat.lead_unit
    assert repeat.batch.number > repeat.repeat_of.batch.number
    assert Event.objects.filter(verb="complaint.repeat_linked", object_id=str(repeat.pk)).exists()


def test_confidential_data_is_in_the_raw_data_only(liangping):
    cases = list(Complaint.objects.filter(inspection=liangping))
    hits = [hit for c in cases for name in TEXT_FIELDS for hit in find_sensitive(getattr(c, name))]
    assert sum(1 for h in hits if h.isdigit() and len(h) == 11) >= 4  # mobile numbers
    assert any(len(h) == 18 for h in hits) and any("@" in h for h in hits)
    complainants = Complainant.objects.filter(complaint__inspection=liangping)
    assert complainants.exclude(name="").count() >= 15 and complainants.exclude(id_number="").exists()
    named = [c for c in complainants if c.name and c.name in c.complaint.handling]
    assert named  # a handling text names its complainant
    for c in cases:
        published = "".join(c.published_data.values())
        assert not any(hit in published for name in TEXT_FIELDS for hit in find_sensitive(getattr(c, name)))


def test_enforcement_figures(liangping):
    cases = Complaint.objects.filter(inspection=liangping)
    assert cases.filter(penalized__gt=0).count() >= 10
    assert cases.filter(fine_amount=Decimal("30000")).count() >= 2
    assert sum(c.fine_amount for c in cases) > Decimal("500000")
    assert cases.filter(admin_detained__gt=0).exists() and cases.filter(criminal_detained__gt=0).exists()
    assert cases.filter(ordered_rectify__gt=0).count() >= 25


def test_published_and_unpublished_batches(liangping):
    batches = HandoverBatch.objects.filter(inspection=liangping)
    published = batches.filter(published_at__isnull=False)
    assert published.count() == 10 and set(batches.filter(published_at__isnull=True).values_list(
        "number", flat=True)) == {11, 12}
    for batch in published:
        assert not batch.complaints.exclude(review_status="approved").exists()
        assert not batch.complaints.filter(published_at__isnull=True).exists()
        assert batch.published_at.date() > batch.handed_over
        assert Event.objects.filter(verb="batch.published", object_id=str(batch.pk)).count() == 1
    for batch in batches.filter(published_at__isnull=True):
        assert batch.complaints.exclude(review_status="approved").exists()
        assert not batch.complaints.filter(published_at__isnull=False).exists()
    # the case handled further after publication: refreshed, shown as an update
    refreshed = Complaint.objects.get(inspection=liangping, published_at__gt=dt.datetime(2025, 1, 31, tzinfo=dt.UTC))
    assert refreshed.published_data["是否办结"] == "已办结" and refreshed.published_at > refreshed.batch.published_at
    assert Event.objects.filter(verb="complaint.published", object_id=str(refreshed.pk)).count() == 2
