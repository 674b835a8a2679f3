"""Complaint checks: 不属实 without evidence, and repeats of closed cases."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.integrity.checks import Scope

from .support import photo, run, upload

_numbers = itertools.count(1)
SUMMARY = "双桂街道新桥村靠近人民路一家养猪场粪污直排进河沟，河里鱼虾死了不少，下游村民不敢用水灌溉，要求依法查处。"
SUMMARY_AGAIN = "双桂街道新桥村靠近人民路一家养猪场近来粪污直排进河沟，下游村民不敢用水灌溉，河里鱼虾死了不少，再次要求依法查处。"
OTHER = "礼让镇龙滩村一处采石场爆破震动明显，粉尘飘进附近学校，希望尽快处理。"


@pytest.fixture
def batch(world):
    return HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=dt.date(2024, 11, 25))


def complaint(world, batch, summary=SUMMARY, *, received=dt.date(2024, 11, 22), status="done", truth="true",
              done=dt.date(2024, 12, 20), **extra):
    return Complaint.objects.create(
        batch=batch, inspection=world.inspection, sequence=next(_numbers), acceptance_number=f"X8CQ{next(_numbers):06d}",
        summary=summary, region=world.district, received_date=received, reply_deadline=received + dt.timedelta(days=10),
        status=status, truthfulness=truth, done_at=done if status == "done" else None, **extra)


# ── unfounded_without_evidence


def test_a_complaint_concluded_unfounded_without_evidence_is_flagged(world, batch):
    bare = complaint(world, batch, truth="false")
    findings = run("unfounded_without_evidence")
    assert [f.key for f in findings] == [f"complaint:{bare.pk}"]
    assert findings[0].complaint_id == bare.pk and findings[0].task_id is None
    assert bare.acceptance_number in findings[0].reason


def test_unfounded_with_a_site_photo_or_founded_without_one_is_not_flagged(world, batch):
    backed = complaint(world, batch, truth="false")
    upload(world.users.office, photo(1), complaint=backed, category="other")
    complaint(world, batch, truth="true")
    complaint(world, batch, truth="partly_true")
    assert run("unfounded_without_evidence") == []


def test_the_complaint_scope_is_respected(world, batch):
    bare = complaint(world, batch, truth="false")
    other = complaint(world, batch, truth="false")
    scoped = run("unfounded_without_evidence", Scope(task_ids=frozenset(), complaint_ids=frozenset({other.pk})))
    assert [f.key for f in scoped] == [f"complaint:{other.pk}"]
    assert run("unfounded_without_evidence", Scope(task_ids=frozenset({world.t_dept.pk}),
                                                    complaint_ids=frozenset())) == []
    assert bare.pk


# ── repeat_of_closed


def test_a_repeat_linked_to_a_closed_case_and_received_after_its_closure_is_flagged(world, batch):
    closed = complaint(world, batch, done=dt.date(2025, 1, 10))
    repeat = complaint(world, batch, OTHER, received=dt.date(2025, 5, 6), status="investigating", truth="",
                       repeat_of=closed)
    findings = run("repeat_of_closed")
    assert [f.key for f in findings] == [f"complaint:{repeat.pk}"]
    assert findings[0].evidence["kind"] == "linked"
    assert findings[0].evidence["closed_complaint_id"] == closed.pk
    assert "2025年1月10日" in findings[0].reason


def test_a_new_complaint_in_nearly_the_same_words_as_a_closed_one_is_flagged(world, batch):
    closed = complaint(world, batch, done=dt.date(2025, 1, 10))
    again = complaint(world, batch, SUMMARY_AGAIN, received=dt.date(2025, 6, 1), status="received", truth="")
    findings = run("repeat_of_closed")
    assert [f.key for f in findings] == [f"complaint:{again.pk}"]
    assert findings[0].evidence["kind"] == "similar" and findings[0].evidence["closed_complaint_id"] == closed.pk


def test_repeats_of_open_cases_early_repeats_rebounds_and_other_problems_are_not_flagged(world, batch):
    still_open = complaint(world, batch, status="investigating", truth="")
    complaint(world, batch, OTHER, received=dt.date(2025, 5, 6), status="received", truth="", repeat_of=still_open)
    closed = complaint(world, batch, SUMMARY_AGAIN, received=dt.date(2025, 3, 1), done=dt.date(2025, 4, 1))
    # received while the first case was still being handled
    complaint(world, batch, SUMMARY_AGAIN + "情况紧急。", received=dt.date(2025, 3, 20), status="done",
              done=dt.date(2025, 4, 5), repeat_of=closed)
    # a rebound recorded by a look-back is already known
    complaint(world, batch, SUMMARY_AGAIN, received=dt.date(2025, 8, 1), status="received", truth="",
              rebound_of=closed)
    # another problem in the same place
    complaint(world, batch, OTHER, received=dt.date(2025, 8, 2), status="received", truth="")
    assert run("repeat_of_closed") == []
