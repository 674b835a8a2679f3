"""Complaint look-backs through the API: the office of the region schedules and records them."""

from __future__ import annotations

import pytest

from tests.complaints.conftest import make_batch, make_complaint
from zhenggai.complaints.models import Complaint, ComplaintLookBack, ComplaintStatus
from zhenggai.core.models import Event

pytestmark = pytest.mark.django_db


def test_office_schedules_and_records_a_lookback(world, api):
    case = make_complaint(world, make_batch(world), "D3CQ202506030001", "油烟扰民", pollution_types=["air"],
                          lead_unit=world.dept)
    url = f"/api/v1/complaints/{case.pk}/lookbacks"
    early = api.office.post(url, {"scheduled_date": "2025-09-01"})
    assert early.status_code == 409  # not 已办结 yet
    Complaint.objects.filter(pk=case.pk).update(status=ComplaintStatus.DONE)
    assert api.head.post(url, {"scheduled_date": "2025-09-01"}).status_code == 403  # the lead unit sees, not manages
    assert api.other_office.post(url, {"scheduled_date": "2025-09-01"}).status_code == 404
    created = api.office.post(url, {"scheduled_date": "2025-09-01"})
    assert created.status_code == 201, created.content
    look_back = ComplaintLookBack.objects.get(pk=created.json()["id"])
    assert [r["id"] for r in api.head.get(url).json()] == [look_back.pk]
    record = f"{url}/{look_back.pk}/record"
    assert api.office.post(record, {"result": "held", "notes": ""}).status_code == 422
    done = api.office.post(record, {"result": "rebound", "notes": "油烟再次扰民"})
    assert done.status_code == 200 and done.json()["rebound_complaint_id"]
    rebound = Complaint.objects.get(pk=done.json()["rebound_complaint_id"])
    assert rebound.acceptance_number.endswith("回头看") and rebound.batch_id == case.batch_id
    assert api.office.post(record, {"result": "held", "notes": "x"}).status_code == 409
    assert Event.objects.filter(verb="lookback.recorded").count() == 1
