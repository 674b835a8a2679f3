"""Complaint statistics are counted in the database: a fixed number of queries whatever the number of
cases, batches and regions, and the same figures as counting the cases one by one."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from tests import factories as f
from zhenggai.accounts.models import Region
from zhenggai.complaints.models import Complaint, ComplaintStatus
from zhenggai.complaints.services import complaint_handle
from zhenggai.complaints.statistics import complaint_statistics, complaint_type_counts

from .conftest import make_batch, make_complaint

ON = dt.date(2025, 6, 10)
TYPES = [["air"], ["water", "soil"], [], ["noise", "air", "other"], ["solid_waste"]]


def _cases(world, batches: int, per_batch: int, start: int = 0) -> None:
    township = f.region(f"镇{start}", parent=world.district, level=Region.Level.TOWNSHIP)
    for b in range(batches):
        batch = make_batch(world, start + b + 1, ON - dt.timedelta(days=b))
        for n in range(per_batch):
            i = b * per_batch + n
            extra = {"region": None, "region_text": "某村"} if i % 3 == 0 else {"region": township} if i % 3 == 1 else {}
            case = make_complaint(world, batch, f"Q{start}-{b}-{n}", f"信访件{i}", pollution_types=TYPES[i % 5],
                                  lead_unit=world.town, is_priority=i % 4 == 0, **extra)
            if i % 2:
                complaint_handle(actor=world.users.staff2, complaint=case, data={
                    "status": "done", "done_at": ON + dt.timedelta(days=i % 20 - 5), "truthfulness": "属实",
                    "ordered_rectify": 1, "fine_amount": "100.50"})


def _by_hand(cases) -> dict:
    rows = list(cases.select_related("batch"))
    types = Counter(code for c in rows for code in c.pollution_types)
    done = [c for c in rows if c.status == ComplaintStatus.DONE]
    return {
        "total": len(rows), "today": sum(c.batch.handed_over == ON for c in rows),
        "priority": sum(c.is_priority for c in rows), "done": len(done),
        "done_on_time": sum(c.done_at <= c.reply_deadline for c in done),
        "typed_cases": sum(bool(c.pollution_types) for c in rows), "type_mentions": sum(types.values()),
        "by_type": {code: n for code, n in types.items()},
        "fine": sum((c.fine_amount for c in rows), Decimal(0)),
    }


def _figures(stats: dict) -> dict:
    return {
        **{k: stats[k] for k in ("total", "today", "priority", "done", "done_on_time", "typed_cases",
                                 "type_mentions")},
        "by_type": {r["code"]: r["count"] for r in stats["by_type"]}, "fine": stats["counters"]["fine_amount"],
    }


def test_queries_do_not_grow_with_cases(world, django_assert_num_queries):
    _cases(world, batches=1, per_batch=3)
    cases = Complaint.objects.filter(inspection=world.inspection)
    with django_assert_num_queries(3):
        small = complaint_statistics(cases, on=ON)
    with django_assert_num_queries(1):
        complaint_type_counts(cases)
    _cases(world, batches=3, per_batch=7, start=10)
    with django_assert_num_queries(3):
        big = complaint_statistics(cases, on=ON)
    with django_assert_num_queries(1):
        types = complaint_type_counts(cases)
    assert big["total"] == 24 > small["total"]
    assert len(big["by_batch"]) == 4 and len(big["by_region"]) == 4
    assert _figures(big) == _by_hand(cases)
    assert {k: types[k] for k in ("by_type", "typed_cases", "type_mentions", "total")} == {
        k: big[k] for k in ("by_type", "typed_cases", "type_mentions", "total")}
    # the regions add up to the batches, each case once
    assert sum(r["total"] for r in big["by_region"]) == sum(r["total"] for r in big["by_batch"]) == 24
    assert sum(r["today"] for r in big["by_region"]) == big["today"] == _by_hand(cases)["today"]


def test_no_cases_costs_one_query(db, django_assert_num_queries):
    with django_assert_num_queries(1):
        stats = complaint_statistics(Complaint.objects.filter(acceptance_number="none"), on=ON)
    assert stats["total"] == 0 and stats["by_batch"] == [] and stats["by_region"] == []
