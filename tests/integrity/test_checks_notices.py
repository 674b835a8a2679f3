"""The short-notice check: public notices counted on the working-day calendar."""

from __future__ import annotations

import datetime as dt

from zhenggai.core.workdays import add_working_days
from zhenggai.integrity.checks import Scope
from zhenggai.rectification.models import AcceptanceApplication, PublicNotice

from .support import run


def notice(world, task, start, end, *, days=10, status=PublicNotice.Status.ENDED):
    application = AcceptanceApplication.objects.create(task=task, unit=world.dept, applied_by=world.users.head,
                                                       statement="已完成")
    return PublicNotice.objects.create(task=task, application=application, start_date=start, end_date=end,
                                       working_days=days, summary="概述", result="情况", status=status)


def test_ten_working_days_over_the_national_day_holiday_that_lasted_five_are_flagged(world):
    # 2025-09-29 to 2025-10-12 looks like two weeks, but 1–8 October are holidays
    short = notice(world, world.t_dept, dt.date(2025, 9, 29), dt.date(2025, 10, 12))
    findings = run("short_notice")
    assert [f.key for f in findings] == [f"notice:{short.pk}"]
    facts = findings[0].evidence
    assert facts["actual_working_days"] == 5 and facts["required_working_days"] == 10
    assert "国庆节" in facts["holidays"]
    assert "国庆节" in findings[0].reason and "5 个工作日" in findings[0].reason
    assert findings[0].task_id == world.t_dept.pk


def test_a_notice_declaring_fewer_days_than_the_rule_is_flagged(world, settings):
    start = dt.date(2025, 8, 4)
    fewer = notice(world, world.t_town, start, add_working_days(start, 7), days=7)
    assert {f.key for f in run("short_notice")} == {f"notice:{fewer.pk}"}
    settings.ZHENGGAI_NOTICE_WORKING_DAYS = 7  # the rule is a setting, as for new notices
    assert run("short_notice") == []


def test_notices_counted_right_over_holidays_and_make_up_days_are_not_flagged(world):
    for start in (dt.date(2025, 9, 28), dt.date(2025, 9, 29), dt.date(2026, 2, 12), dt.date(2025, 8, 4)):
        notice(world, world.t_dept, start, add_working_days(start, 10))
    # a withdrawn notice (an objection was upheld) ended early for a reason
    notice(world, world.t_town, dt.date(2025, 9, 29), dt.date(2025, 9, 30), status=PublicNotice.Status.WITHDRAWN)
    assert run("short_notice") == []


def test_the_scope_limits_the_findings(world):
    notice(world, world.t_dept, dt.date(2025, 9, 29), dt.date(2025, 10, 12))
    assert run("short_notice", Scope(task_ids=frozenset({world.t_town.pk}), complaint_ids=frozenset())) == []
    assert len(run("short_notice", Scope(task_ids=frozenset({world.t_dept.pk}), complaint_ids=frozenset()))) == 1
