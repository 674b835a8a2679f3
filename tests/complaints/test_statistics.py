"""Statistics against figures computed by hand for five cases in two batches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.evidence import samples as s
from zhenggai.complaints.models import Complaint
from zhenggai.complaints.services import complaint_handle
from zhenggai.complaints.statistics import complaint_statistics, rate, summary_sentence, wan_yuan

from .conftest import make_batch, make_complaint

ON = dt.date(2025, 6, 10)


@pytest.fixture
def five(world):
    """Batch 1 (2025-6-3, due 6-13): a ★ done on time, b done late, c 阶段性办结.
    Batch 2 (2025-6-10 = ON, due 6-20): d ★ untouched, e 办理中 and 不属实."""
    b1 = make_batch(world, 1, dt.date(2025, 6, 3))
    b2 = make_batch(world, 2, ON)
    staff = world.users.staff2

    def case(batch, number, types, **data):
        return make_complaint(world, batch, number, f"信访件{number}", pollution_types=types, lead_unit=world.town,
                              **data)

    a = case(b1, "A★", ["air"])
    b = case(b1, "B", ["air", "noise"])
    c = case(b1, "C", ["water"])
    case(b2, "D*", ["air", "water", "soil"], region=None, region_text="屏锦镇")
    e = case(b2, "E", [])
    complaint_handle(actor=staff, complaint=a, data={"status": "done", "done_at": dt.date(2025, 6, 12),
                                                     "truthfulness": "属实", "ordered_rectify": 2, "penalized": 1,
                                                     "fine_amount": "150000"})
    complaint_handle(actor=staff, complaint=b, data={"status": "done", "done_at": dt.date(2025, 6, 15),
                                                     "truthfulness": "基本属实", "fine_amount": "101500",
                                                     "interviewed": 2})
    complaint_handle(actor=staff, complaint=c, data={"status": "阶段性办结", "truthfulness": "部分属实",
                                                     "ordered_rectify": 1})
    complaint_handle(actor=staff, complaint=e, data={"truthfulness": "不属实"}, files=[s.upload("核查.pdf", s.pdf())])
    return Complaint.objects.filter(inspection=world.inspection)


def test_totals_and_rates(five, django_assert_num_queries):
    with django_assert_num_queries(3):  # per batch, per region, the batches: aggregates in SQL
        stats = complaint_statistics(five, on=ON)
    assert {k: stats[k] for k in ("total", "today", "priority", "done", "stage_done", "not_done", "done_on_time")} == {
        "total": 5, "today": 2, "priority": 2, "done": 2, "stage_done": 1, "not_done": 2, "done_on_time": 1}
    assert stats["done_rate"] == Decimal("40.0") and stats["on_time_rate"] == Decimal("50.0")


def test_per_batch_and_region(five):
    stats = complaint_statistics(five, on=ON)
    first, second = stats["by_batch"]
    assert (first["number"], first["total"], first["done"], first["stage_done"], first["not_done"],
            first["done_on_time"], first["done_rate"], first["on_time_rate"]) == (
        1, 3, 2, 1, 0, 1, Decimal("66.7"), Decimal("50.0"))
    assert (second["number"], second["total"], second["today"], second["priority"], second["done_rate"],
            second["on_time_rate"]) == (2, 2, 2, 1, Decimal("0.0"), None)
    assert [(r["name"], r["total"], r["done"]) for r in stats["by_region"]] == [("梁平区", 4, 2), ("屏锦镇", 1, 0)]


def test_kinds_of_pollution_exceed_cases(five):
    stats = complaint_statistics(five, on=ON)
    assert [(r["label"], r["count"]) for r in stats["by_type"]] == [("水", 2), ("大气", 3), ("土壤", 1), ("噪声", 1)]
    assert stats["type_mentions"] == 7 and stats["typed_cases"] == 4 and stats["types_exceed_cases"]


def test_truthfulness_and_counters(five):
    stats = complaint_statistics(five, on=ON)
    assert [(r["label"], r["count"]) for r in stats["truthfulness"]] == [
        ("属实", 1), ("基本属实", 1), ("部分属实", 1), ("不属实", 1)]
    assert stats["truthfulness_blank"] == 1
    counters = stats["counters"]
    assert (counters["ordered_rectify"], counters["penalized"], counters["fine_amount"], counters["interviewed"],
            counters["held_accountable"]) == (3, 1, Decimal("251500.00"), 2, 0)


def test_summary_sentence(five):
    assert summary_sentence(complaint_statistics(five, on=ON)) == (
        "截至2025年6月10日，累计交办群众信访举报件5件（当日交办2件），其中重点件2件，"
        "已办结2件、阶段性办结1件、未办结2件，责令整改3家，立案处罚1家，罚款金额25.15万元，约谈2人。"
    )


def test_empty_and_helpers(db):
    stats = complaint_statistics(Complaint.objects.none(), on=ON)
    assert stats["total"] == 0 and stats["done_rate"] is None and not stats["types_exceed_cases"]
    assert summary_sentence(stats) == "截至2025年6月10日，累计交办群众信访举报件0件，已办结0件、阶段性办结0件、未办结0件。"
    assert rate(2, 3) == Decimal("66.7") and rate(1, 0) is None
    assert wan_yuan(Decimal("251500")) == "25.15" and wan_yuan(5) == "0.00" and wan_yuan(125) == "0.01"
