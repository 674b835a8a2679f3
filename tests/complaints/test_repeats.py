"""Repeats: proposed by word overlap (jieba), linked or merged by the office."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from zhenggai.complaints.models import HandoverBatch
from zhenggai.complaints.selectors import REPEAT_THRESHOLD, jaccard, repeat_words
from zhenggai.complaints.services import (
    complaint_handle,
    complaint_link_repeat,
    complaint_merge,
    complaint_warning,
    repeat_candidates,
)
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.models import Event

from .conftest import make_batch, make_complaint


@pytest.fixture
def later(cw):
    """A second batch with a case that reads like the township's (other words, same factory)."""
    batch = make_batch(cw.world, number=2, handed_over=dt.date(2025, 6, 10))
    similar = make_complaint(cw.world, batch, "X3CQ202506100011", "某某化工厂晚上排放异味", lead_unit=cw.world.town)
    unrelated = make_complaint(cw.world, batch, "X3CQ202506100012", "屏锦镇某养猪场粪污直排河道",
                               lead_unit=cw.world.town)
    return batch, similar, unrelated


def test_stop_words_and_single_characters_do_not_count():
    words = repeat_words("群众反映某某化工厂夜间排放刺鼻气味，污染严重")
    assert {"化工厂", "排放", "夜间", "气味"} <= words
    assert not words & {"某某", "群众", "反映", "污染", "严重", "，"}
    assert all(len(w) > 1 for w in words)


def test_a_similar_earlier_case_is_proposed(cw, later):
    _batch, similar, unrelated = later
    found = repeat_candidates(similar)
    assert [c for c, _score in found] == [cw.town]
    assert found[0][1] >= REPEAT_THRESHOLD
    assert jaccard(repeat_words("某某化工厂夜间排放刺鼻气味"), repeat_words("某某化工厂晚上排放异味")) >= REPEAT_THRESHOLD
    assert repeat_candidates(unrelated) == []
    assert repeat_candidates(cw.town) == []  # only earlier cases are proposed


def test_cases_of_another_region_are_not_proposed(cw):
    other = cw.world.other_district
    inspection = f.inspection(target_region=other, title="垫江县督察")
    batch = HandoverBatch.objects.create(inspection=inspection, number=1, handed_over=dt.date(2025, 6, 12))
    from zhenggai.complaints.services import complaint_create

    case = complaint_create(actor=cw.users.other_office, batch=batch, data={
        "acceptance_number": "D3CQ202506120001", "summary": "某某化工厂晚上排放异味", "region": other})
    assert repeat_candidates(case) == []


def test_office_links_a_repeat(cw, later):
    _batch, similar, _unrelated = later
    linked = complaint_link_repeat(actor=cw.users.office, complaint=similar, other=cw.town)
    assert linked.repeat_of == cw.town
    event = Event.objects.get(chain__key=f"complaint:{similar.pk}", verb="complaint.repeat_linked")
    assert event.data["number"] == cw.town.acceptance_number
    assert repeat_candidates(linked) == []  # a linked case is no longer proposed
    with pytest.raises(ValidationFailed):  # no link back
        complaint_link_repeat(actor=cw.users.office, complaint=cw.town, other=similar)
    with pytest.raises(ValidationFailed):
        complaint_link_repeat(actor=cw.users.office, complaint=similar, other=similar)
    unlinked = complaint_link_repeat(actor=cw.users.office, complaint=similar, other=None)
    assert unlinked.repeat_of is None


def test_units_do_not_link_or_merge(cw, later):
    _batch, similar, _unrelated = later
    with pytest.raises(PermissionDenied):
        complaint_link_repeat(actor=cw.users.head2, complaint=similar, other=cw.town)
    with pytest.raises(PermissionDenied):
        complaint_merge(actor=cw.users.head2, complaint=similar, into=cw.town)
    with pytest.raises(NotFound):
        complaint_merge(actor=cw.users.unrelated, complaint=similar, into=cw.town)


def test_merge(cw, later):
    _batch, similar, unrelated = later
    merged = complaint_merge(actor=cw.users.office, complaint=similar, into=cw.town)
    assert merged.merged_into == cw.town and merged.repeat_of == cw.town
    assert complaint_warning(merged, on=dt.date(2026, 1, 1)) == "green"  # answered with the main case
    with pytest.raises(DomainError):  # it is handled in the main case
        complaint_handle(actor=cw.users.staff2, complaint=merged, data={"investigation": "x"})
    with pytest.raises(ValidationFailed):  # not into a case that is itself merged
        complaint_merge(actor=cw.users.office, complaint=unrelated, into=merged)
    with pytest.raises(ValidationFailed):  # a main case is not merged away
        complaint_merge(actor=cw.users.office, complaint=cw.town, into=unrelated)
    assert Event.objects.filter(chain__key=f"complaint:{similar.pk}", verb="complaint.merged").count() == 1
