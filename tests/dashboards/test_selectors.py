"""The numbers of every chart on the hand-built scenario (see conftest), and that each drill-down URL
lists exactly what the point counts."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from django.http import QueryDict

from zhenggai.complaints.selectors import ComplaintFilters, complaint_list_for_user
from zhenggai.rectification import supervision
from zhenggai.rectification.selectors import TaskFilters, task_list_for_user
from zhenggai.rectification.warnings import task_warning_refresh
from zhenggai.reports import dashboards as d
from zhenggai.reports import dashboards_lists as lists
from zhenggai.reports import dashboards_loop as loop

ALL = d.DashboardFilters()


def values(chart, key=None):
    series = next(s for s in chart.series if key is None or s.key == key)
    return [p.value for p in series.data]


def listed_tasks(user, url):
    path, _, query = url.partition("?")
    assert path == "/tasks/"
    return set(task_list_for_user(user, TaskFilters.from_query(QueryDict(query))).values_list("pk", flat=True))


def listed_complaints(user, url):
    path, _, query = url.partition("?")
    assert path == "/complaints/"
    return set(complaint_list_for_user(user, ComplaintFilters.from_query(QueryDict(query))).values_list("pk", flat=True))


def test_tasks_by_status(scene):
    office = scene.u.office
    chart = d.tasks_by_status(office, ALL)
    assert chart.categories == ["未启动", "整改中", "申请验收", "公示中", "已销号"]
    assert values(chart) == [2, 1, 0, 1, 1]
    assert chart.total == 5  # 垫江县's task is not counted
    points = chart.series[0].data
    assert listed_tasks(office, points[0].url) == {scene.w.t_town.pk, scene.w.t_sub.pk}
    assert listed_tasks(office, points[4].url) == {scene.t_done.pk}
    # the filters go into the numbers and into the links
    by_year = d.tasks_by_status(office, d.DashboardFilters(year=2027))
    assert values(by_year) == [0, 0, 0, 1, 1]
    assert "year=2027" in by_year.series[0].data[3].url
    assert listed_tasks(office, by_year.series[0].data[3].url) == {scene.t_notice.pk}


def test_tasks_by_unit_counts_sub_units_and_drills_down_exactly(scene):
    office, w = scene.u.office, scene.w
    chart = d.tasks_by_unit(office, ALL)
    assert chart.categories == ["双桂街道", "区住建委"]  # the sub-unit is folded into 双桂街道
    assert values(chart, "not_started") == [2, 0]
    assert values(chart, "in_progress") == [0, 1]
    assert values(chart, "in_public_notice") == [1, 0]
    assert values(chart, "closed") == [0, 1]
    assert chart.rows[0][-1].value == 3 and chart.rows[1][-1].value == 2
    for series in chart.series:
        for point in series.data:
            assert len(listed_tasks(office, point.url)) == point.value
    town_not_started = next(s for s in chart.series if s.key == "not_started").data[0]
    assert listed_tasks(office, town_not_started.url) == {w.t_town.pk, w.t_sub.pk}
    # the department only accepts t_town: not counted under it as implementing unit
    dept_total = parse_qs(urlsplit(chart.rows[1][-1].url).query)
    assert dept_total["unit_role"] == ["implementing"]
    assert listed_tasks(office, chart.rows[1][-1].url) == {w.t_dept.pk, scene.t_done.pk}

    by_warning = d.tasks_by_unit(office, ALL, stack="warning")
    assert values(by_warning, "red") == [2, 1]
    assert values(by_warning, "green") == [1, 1]
    assert listed_tasks(office, by_warning.series[0].data[1].url) == {w.t_dept.pk}


def test_warnings_over_time(scene):
    office, w = scene.u.office, scene.w
    # t_sub turns green (judged long before its deadline) and red again: a repeated red
    task_warning_refresh(w.t_sub, on=dt.date(2025, 6, 2), actor=office)
    task_warning_refresh(w.t_sub, on=scene.today, actor=office)
    chart = d.warnings_over_time(office, ALL, on=scene.today, weeks=8)
    assert len(chart.categories) == 8
    last = chart.rows[-1]
    assert [c.value for c in last[1:]] == [4, 0, 3, 0]  # 3 created red + t_sub red again; 3 red now
    assert values(chart, "red")[-1] == 3
    assert listed_tasks(office, chart.series[2].data[-1].url) == {w.t_dept.pk, w.t_town.pk, w.t_sub.pk}
    # the other district's red task never counts
    other = d.warnings_over_time(scene.u.other_office, ALL, on=scene.today, weeks=2)
    assert values(other, "red")[-1] == 1


def test_completion_against_schedule(scene):
    chart = d.completion_against_schedule(scene.u.office, d.DashboardFilters(year=2027), on=dt.date(2027, 12, 31))
    assert chart.title.startswith("2027")
    assert values(chart, "planned") == [0, 0, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2]  # deadlines in March and May
    assert values(chart, "accepted") == [2] * 12  # both passed before the year began
    assert values(chart, "closed") == [1] * 12
    # the months still ahead show the plan only
    now = d.completion_against_schedule(scene.u.office, d.DashboardFilters(year=2027), on=dt.date(2027, 4, 15))
    assert len(values(now, "closed")) == 4
    assert now.rows[5][2].value == "" and now.rows[3][2].value == 2
    assert d.completion_against_schedule(scene.u.office, d.DashboardFilters(year=2025)).total == 3
    # without a year: this year has no tasks due, so the latest earlier year with tasks (2025)
    default = d.completion_against_schedule(scene.u.office, ALL, on=dt.date(2026, 6, 1))
    assert default.title.startswith("2025") and default.total == 3
    assert d.completion_against_schedule(scene.u.office, ALL, on=dt.date(2027, 6, 1)).title.startswith("2027")


def test_overdue_and_red_lists(scene):
    office, w = scene.u.office, scene.w
    overdue = d.overdue_list(office, ALL, on=scene.today)
    assert overdue.total == 3
    assert [r[0].value for r in overdue.rows] == [1, 2, 3]
    assert overdue.rows[0][4].value == (scene.today - dt.date(2025, 12, 31)).days
    assert overdue.rows[0][1].url == f"/tasks/{w.t_dept.pk}/"
    red = d.red_list(office, ALL)
    assert red.total == 3
    assert d.red_list(office, ALL, repeated=True).total == 0


def test_report_punctuality(scene):
    chart = loop.report_punctuality(scene.u.office, ALL, on=scene.today)
    rows = {r[0].value: [c.value for c in r[1:5]] for r in chart.rows}
    assert rows["区住建委"] == [2, 1, 1, 0]  # expected, on time, late, missing
    assert rows["双桂街道"] == [2, 0, 0, 2]
    assert rows["双桂街道环保所"] == [2, 0, 0, 2]
    assert rows["合计"] == [6, 1, 1, 4]
    assert chart.rows[-1][5].value == "16.7%"
    # an open round not yet due does not count
    assert loop.report_punctuality(scene.u.office, ALL, on=scene.today - dt.timedelta(days=2)).total == 3


def test_complaint_charts(scene):
    office = scene.u.office
    status = loop.complaints_by_status(office, ALL)
    assert values(status) == [2, 0, 0, 1]
    assert listed_complaints(office, status.series[0].data[3].url) == {scene.c_water.pk}
    types = loop.complaints_by_type(office, ALL)
    assert dict(zip(types.categories, values(types), strict=True)) == {"水": 1, "大气": 2, "噪声": 1}
    assert "4" in types.note and "3" in types.note  # four mentions, three cases
    air = types.series[0].data[types.categories.index("大气")]
    assert listed_complaints(office, air.url) == {scene.c_air.pk, scene.c_two.pk}
    regions = loop.complaints_by_region(office, ALL)
    assert regions.categories == ["梁平区"] and values(regions) == [3]  # the township folded in
    assert len(listed_complaints(office, regions.series[0].data[0].url)) == 3
    assert values(loop.complaints_by_status(scene.u.other_office, ALL)) == [1, 0, 0, 0]


def test_acceptance_rates(scene):
    chart = loop.acceptance_rates(scene.u.office, ALL)
    assert chart.categories == ["区生态环境局"]
    assert values(chart, "pass") == [2] and values(chart, "return") == [1]
    assert [c.value for c in chart.rows[-1]] == ["合计", 3, 2, 1, "66.7%", "33.3%"]
    figures = loop.acceptance_figures(scene.u.office, ALL)
    assert figures["passed"] == 2 and figures["returned"] == 1


def test_discipline_lists(scene):
    office, w = scene.u.office, scene.w
    task_warning_refresh(w.t_sub, on=dt.date(2025, 6, 2), actor=office)
    task_warning_refresh(w.t_sub, on=scene.today, actor=office)
    supervision.escalation_run(on=scene.today)
    letter = w.t_dept.supervision_notices.filter(kind="letter").first()
    supervision.notice_issue(actor=office, notice=letter)
    discipline = scene.u.discipline
    assert [r[0].value for r in d.red_list(discipline, ALL, repeated=True).rows] == [3]
    overdue = lists.complaints_overdue(discipline, ALL, on=scene.today)
    assert {r[0].value for r in overdue.rows} == {"D1", "D2"}
    returns = lists.acceptance_returns(discipline, ALL)
    assert returns.total == 1 and returns.rows[0][-1].value == "佐证不足"
    unanswered = lists.notices_unanswered(discipline, ALL, on=scene.today)
    assert unanswered.total == 1 and unanswered.rows[0][1].value == "区住房城乡建委"
    proposals = lists.accountability_proposals(discipline, ALL)
    assert proposals.total == 1 and proposals.rows[0][0].value == 3 and proposals.rows[0][4].value == 2


def test_headline(scene):
    h = lists.headline(scene.u.leader, ALL)
    assert (h.total, h.closed) == (5, 1)
    assert {y["year"]: (y["closed"], y["total"]) for y in h.by_year} == {2025: (0, 3), 2027: (1, 2)}
    assert h.warnings == {"red": 3, "yellow": 0, "green": 2}
    assert (h.complaints["done"], h.complaints["total"]) == (1, 3)
