"""The dashboard pages cost a fixed number of queries: more tasks, units, complaints, batches and
warning changes add none, with or without the filters (a plan filter once asked for the plan's
inspection at every point of the complaint charts)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories as f
from zhenggai.complaints.models import HandoverBatch
from zhenggai.complaints.services import complaint_create
from zhenggai.rectification.warnings import task_warning_refresh

pytestmark = pytest.mark.django_db


def _grow(world, start: int) -> None:
    office = world.users.office
    for n in range(start, start + 6):
        unit = [world.dept, world.town, world.town_sub][n % 3] if hasattr(world, "town_sub") else world.town
        task = f.task(actor=office, plan=world.plan, number=n, units=[unit], deadline=dt.date(2025 + n % 3, 6, 30))
        task_warning_refresh(task, on=dt.date(2025, 6, 2), actor=office)
    batch = HandoverBatch.objects.create(inspection=world.inspection, number=start, handed_over=dt.date(2025, 6, 3))
    for n in range(4):
        complaint_create(actor=office, batch=batch, data={
            "acceptance_number": f"G{start}-{n}", "summary": f"信访件{n}", "region": world.district,
            "pollution_types": [["air"], ["water", "noise"], [], ["soil"]][n], "lead_unit": world.town})


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize(("name", "role"), [("dashboard_office", "office"), ("dashboard_leader", "leader"),
                                            ("dashboard", "staff")])
def test_dashboard_queries_do_not_grow(client, world, name, role):
    client.force_login(getattr(world.users, role))
    url = reverse(name)
    filtered = f"{url}?plan={world.plan.pk}"
    _grow(world, 10)
    small, small_filtered = _queries(client, url), _queries(client, filtered)
    _grow(world, 30)
    assert _queries(client, url) <= small
    assert _queries(client, filtered) <= small_filtered
    assert small_filtered <= small + 2  # the filter costs at most its own look-ups, never one per point
