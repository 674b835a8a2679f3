"""Task and complaint imports through the API: upload → preview (every bad row, or a token) → confirm,
all or nothing, for the office of the region only."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from tests.complaints.conftest_import import HANDED_OVER, ROWS, make_places, table
from tests.reports.sheets import dispatch_xlsx
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.core.models import Event
from zhenggai.rectification.models import Task

pytestmark = pytest.mark.django_db


def upload(client, url: str, path, **fields):
    with path.open("rb") as handle:
        return client.client.post(url, {**fields, "file": handle}, headers=client.headers)


def stored_imports() -> list[str]:
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def test_task_import_preview_then_confirm(world, api, tmp_path):
    path = dispatch_xlsx(tmp_path / "调度表.xlsx")
    office = api.office  # its token (and the token's event) before counting
    before = (Task.objects.count(), Event.objects.count())
    preview = upload(office, "/api/v1/tasks/import", path, plan=world.plan.pk)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["ok"] and not body["imported"] and body["problems"] == []
    assert (body["created"], body["updated"], body["unchanged"]) == (2, 0, 0)
    assert [(o["number"], o["status"], o["measures"]) for o in body["outcomes"]] == [(4, "created", 3),
                                                                                      (5, "created", 1)]
    assert (Task.objects.count(), Event.objects.count()) == before  # the preview writes nothing
    assert api.head.post("/api/v1/tasks/import/confirm", {"token": body["token"]}).status_code == 403
    assert api.other_office.post("/api/v1/tasks/import/confirm", {"token": body["token"]}).status_code == 404
    done = api.office.post("/api/v1/tasks/import/confirm", {"token": body["token"]})
    assert done.status_code == 200 and done.json()["imported"] and done.json()["created"] == 2
    assert Task.objects.filter(plan=world.plan, number__in=[4, 5]).count() == 2
    assert Event.objects.filter(verb="task.created", actor=world.users.office).count() == 5  # 3 from the fixture
    assert stored_imports() == []
    assert api.office.post("/api/v1/tasks/import/confirm", {"token": body["token"]}).status_code == 404  # spent


def test_task_import_with_bad_rows_imports_nothing_and_lists_each(world, api, tmp_path):
    rows = [
        [12, "问题一", "", "", "明年", "措施", "区住建委", "", "", "", "", ""],
        [13, "问题二", "", "", "2025年底", "措施", "区住建委", "", "", "", "", ""],
        [14, "问题三", "", "", "2025年底", "措施", "区不存在局", "", "", "", "", ""],
    ]
    body = upload(api.office, "/api/v1/tasks/import", dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]),
                  plan=world.plan.pk).json()
    assert body["ok"] is False and body["token"] is None
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(3, "整改时限"), (5, "责任单位")]
    assert "明年" in body["problems"][0]["message"] and body["unknown_units"] == ["区不存在局"]
    assert not Task.objects.filter(number__in=[12, 13, 14]).exists() and stored_imports() == []


def test_task_import_refusals_match_the_page(world, api, tmp_path):
    path = dispatch_xlsx(tmp_path / "t.xlsx")
    for who in ("staff", "head", "leader", "admin"):
        assert upload(getattr(api, who), "/api/v1/tasks/import", path, plan=world.plan.pk).status_code == 403
    assert upload(api.office, "/api/v1/tasks/import", path, plan=world.other_plan.pk).status_code == 404
    text = tmp_path / "t.txt"
    text.write_text("x", encoding="utf-8")
    wrong = upload(api.office, "/api/v1/tasks/import", text, plan=world.plan.pk)
    assert wrong.status_code == 422 and wrong.json()["field"] == "file"
    assert not Task.objects.filter(number=4).exists()


def test_complaint_import_preview_then_confirm(world, api, tmp_path):
    make_places(world)
    fields = {"inspection": world.inspection.pk, "batch": 1, "handed_over": HANDED_OVER.isoformat()}
    assert upload(api.leader, "/api/v1/complaints/import", table(tmp_path / "t.xlsx"), **fields).status_code == 403
    other = {**fields, "inspection": world.other_plan.inspection_id}
    assert upload(api.office, "/api/v1/complaints/import", table(tmp_path / "t.xlsx"), **other).status_code == 404
    preview = upload(api.office, "/api/v1/complaints/import", table(tmp_path / "t.xlsx"), **fields)
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert body["ok"] and body["created"] == 4 and body["batch_created"] and body["token"]
    assert not Complaint.objects.exists()
    done = api.office.post("/api/v1/complaints/import/confirm", {"token": body["token"]}).json()
    assert done["imported"] and done["created"] == 4
    assert HandoverBatch.objects.get(inspection=world.inspection, number=1).complaints.count() == 4


def test_complaint_import_with_bad_rows_imports_nothing(world, api, tmp_path):
    make_places(world)
    rows = [list(r) for r in ROWS]
    rows[0][6] = "不清楚"  # row 3
    rows[2][4] = "火星"  # row 5
    fields = {"inspection": world.inspection.pk, "batch": 1, "handed_over": HANDED_OVER.isoformat()}
    body = upload(api.office, "/api/v1/complaints/import", table(tmp_path / "t.xlsx", rows), **fields).json()
    assert body["ok"] is False and body["token"] is None
    assert [(p["row"], p["column"]) for p in body["problems"]] == [(3, "是否属实"), (5, "污染类型")]
    assert not Complaint.objects.exists() and not HandoverBatch.objects.exists()
