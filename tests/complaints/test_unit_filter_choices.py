"""The unit filter of the complaint list: units that lead or cooperate on a case the user sees, each once,
from two id subqueries (no join through both relations, whose product made the page take tens of seconds
at district scale)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.complaints.selectors import unit_filter_choices
from zhenggai.complaints.services import complaint_create


def test_units_leading_or_cooperating_on_visible_cases_once_each(world):
    w, u = world, world.users
    batch = HandoverBatch.objects.create(inspection=w.inspection, number=1, handed_over=dt.date(2025, 6, 3))
    for n, (lead, cooperating) in enumerate([(w.dept, [w.town, w.acceptor_org]), (w.dept, [w.town]), (w.town, [w.dept]),
                                             (None, [w.town_sub])]):
        complaint = complaint_create(actor=u.office, batch=batch, data={
            "acceptance_number": f"D{n}", "summary": "夜间噪声扰民", "region": w.district, "pollution_types": ["noise"],
            "lead_unit": lead})
        complaint.cooperating_units.set(cooperating)
    other_batch = HandoverBatch.objects.create(inspection=w.other_plan.inspection, number=1,
                                               handed_over=dt.date(2025, 6, 3))
    hidden = complaint_create(actor=u.other_office, batch=other_batch, data={
        "acceptance_number": "O1", "summary": "粉尘", "region": w.other_district, "pollution_types": ["air"],
        "lead_unit": w.unrelated})
    assert Complaint.objects.count() == 5 and hidden.lead_unit == w.unrelated

    with CaptureQueriesContext(connection) as queries:
        units = list(unit_filter_choices(u.office))
    assert sorted(o.pk for o in units) == sorted({w.dept.pk, w.town.pk, w.acceptor_org.pk, w.town_sub.pk})
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "DISTINCT" not in sql and "JOIN" not in sql.split("WHERE")[0]
