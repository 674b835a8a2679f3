"""Dashboard pages: which dashboard each role gets, 403 for a role view the user lacks, scope of the
numbers, downloads read back, and a number of queries that does not grow with the data."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from tests import factories as f
from zhenggai.reports import dashboards as d
from zhenggai.reports import dashboards_loop as loop

ALL = d.DashboardFilters()


def chart_data(response, key):
    chart = next(c for c in response.context["charts"] if c.key == key)
    return chart


def test_dashboard_picks_the_view_of_the_role(client, scene):
    u = scene.u
    for user, target in ((u.office, "/dashboards/office/"), (u.leader, "/dashboards/leader/"),
                         (u.discipline, "/dashboards/discipline/")):
        client.force_login(user)
        response = client.get("/dashboards/?year=2027")
        assert response.status_code == 302 and response["Location"] == f"{target}?year=2027"
        assert client.get(target).status_code == 200
    client.force_login(u.head)
    response = client.get("/dashboards/")
    assert response.status_code == 200 and response.context["board"].key == "unit"


@pytest.mark.parametrize("username,path", [
    ("head", "/dashboards/office/"), ("staff", "/dashboards/leader/"), ("leader", "/dashboards/office/"),
    ("leader", "/dashboards/discipline/"), ("office", "/dashboards/discipline/"), ("admin", "/dashboards/leader/"),
    ("discipline", "/dashboards/leader/"),
])
def test_role_view_refused_without_the_role(client, world, username, path):
    client.force_login(getattr(world.users, username))
    assert client.get(path).status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    response = client.get("/dashboards/office/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_office_page_shows_each_chart_with_its_data_table_and_downloads(client, scene):
    client.force_login(scene.u.office)
    response = client.get("/dashboards/office/")
    html = response.content.decode()
    for key in ("status", "units", "warnings", "schedule", "overdue", "red", "punctuality", "complaint_status",
                "complaint_types", "complaint_regions", "acceptance"):
        assert f'data-testid="chart-{key}"' in html
        assert f"/dashboards/data/{key}.xlsx" in html and f"/dashboards/data/{key}.csv" in html
    assert "vendor/echarts/echarts.min.js" in html and "zhenggai/dashboards.js" in html
    assert "<script>" not in html.replace('<script id="', "")  # data blocks only, no inline code
    status = json.loads(html.split('id="chart-status-data" type="application/json">')[1].split("</script>")[0])
    assert [p["value"] for p in status["series"][0]["data"]] == [2, 1, 0, 1, 1]
    assert status["series"][0]["data"][4]["url"] == "/tasks/?status=closed"
    assert "污染类型可多选" in html


def test_unit_user_sees_only_its_scope(client, scene):
    u, w = scene.u, scene.w
    # the department implements t_dept and t_done and accepts t_town
    assert [p.value for p in d.tasks_by_status(u.head, ALL).series[0].data] == [1, 1, 0, 0, 1]
    # the township sees its own and its sub-unit's tasks
    assert [p.value for p in d.tasks_by_status(u.staff2, ALL).series[0].data] == [2, 0, 0, 1, 0]
    punctuality = loop.report_punctuality(u.staff2, ALL, on=scene.today)
    assert {r[0].value for r in punctuality.rows} == {"双桂街道", "双桂街道环保所", "合计"}
    assert [p.value for p in loop.complaints_by_status(u.head, ALL).series[0].data] == [1, 0, 0, 1]
    assert d.tasks_by_status(u.unrelated, ALL).total == 0
    assert d.overdue_list(u.sub, ALL, on=scene.today).total == 1
    client.force_login(u.staff2)
    page = client.get("/dashboards/")
    assert chart_data(page, "status").total == 3
    assert str(w.t_dept.title) not in page.content.decode()


def test_leader_sees_the_region_other_office_only_its_own(scene):
    assert [p.value for p in d.tasks_by_status(scene.u.leader, ALL).series[0].data] == [2, 1, 0, 1, 1]
    other = d.tasks_by_status(scene.u.other_office, ALL)
    assert other.total == 1
    assert loop.complaints_by_region(scene.u.other_office, ALL).categories == ["垫江县"]
    assert loop.acceptance_rates(scene.u.other_office, ALL).total == 0
    assert loop.report_punctuality(scene.u.other_office, ALL, on=scene.today).total == 0


def test_leader_page_has_headline_figures(client, scene):
    client.force_login(scene.u.leader)
    html = client.get("/dashboards/leader/").content.decode()
    assert 'data-testid="headline"' in html
    assert 'data-testid="headline-red">3<' in html
    assert "2027年" in html


def test_downloads_read_back(client, scene):
    client.force_login(scene.u.office)
    response = client.get("/dashboards/data/status.xlsx?year=2027")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["状态", "任务数（项）"]
    assert rows[1:] == [["未启动", 0], ["整改中", 0], ["申请验收", 0], ["公示中", 1], ["已销号", 1], ["合计", 2]]

    response = client.get("/dashboards/data/complaint_types.csv")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["污染类型", "件数"] and ["大气", "2"] in rows
    assert any("污染类型可多选" in cell for row in rows for cell in row)

    overdue = list(csv.reader(io.StringIO(client.get("/dashboards/data/overdue.csv").content.decode("utf-8-sig"))))
    assert len(overdue) == 4 and overdue[1][3] == "2025-12-31"


def test_downloads_keep_scope_and_refuse_other_dashboards(client, scene):
    client.force_login(scene.u.head)
    rows = list(csv.reader(io.StringIO(client.get("/dashboards/data/status.csv").content.decode("utf-8-sig"))))
    assert rows[-1] == ["合计", "3"]
    assert client.get("/dashboards/data/accountability.csv").status_code == 404  # discipline's list
    assert client.get("/dashboards/data/nothing.csv").status_code == 404
    client.force_login(scene.u.discipline)
    assert client.get("/dashboards/data/accountability.xlsx").status_code == 200
    assert client.get("/dashboards/data/status.xlsx").status_code == 404  # not on the discipline dashboard


def _office_queries(client, user, path="/dashboards/office/"):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_number_of_queries_does_not_grow_with_tasks_and_units(client, scene, django_capture_on_commit_callbacks):
    w, u = scene.w, scene.u
    before = {path: _office_queries(client, user, path) for path, user in (
        ("/dashboards/office/", u.office), ("/dashboards/leader/", u.leader), ("/dashboards/discipline/", u.discipline))}
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(6):
            unit = f.org(f"新增单位{n}", region=w.district, parent=w.gov)
            for k in range(3):
                f.task(actor=u.office, plan=w.plan, units=[unit, w.dept], title=f"新增任务{n}-{k}")
    after = {path: _office_queries(client, user, path) for path, user in (
        ("/dashboards/office/", u.office), ("/dashboards/leader/", u.leader), ("/dashboards/discipline/", u.discipline))}
    assert after == before
    assert before["/dashboards/office/"] < 60
