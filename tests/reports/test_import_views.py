"""The upload page: office only; upload → preview (or every problem) → confirm → the plan's page."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from zhenggai.core.models import Event
from zhenggai.rectification.models import Task

from .sheets import dispatch_xlsx

URL = reverse("task_import")


def upload(client, plan, path, **extra):
    with path.open("rb") as handle:
        return client.post(URL, {"plan": plan.pk, "file": handle, **extra})


def stored_imports():
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def test_office_sees_the_form_with_its_plans_only(office_client, world):
    response = office_client.get(URL, {"plan": world.plan.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["plan"].queryset) == [world.plan]  # not the other district's plan
    assert form.initial["plan"] == world.plan
    assert "create_units" in form.fields  # the office may add the units a table names
    assert 'enctype="multipart/form-data"' in response.content.decode()


@pytest.mark.parametrize("name", ["staff", "head", "acceptor", "leader", "discipline", "admin", "unrelated"])
def test_others_are_refused(client, world, name):
    client.force_login(getattr(world.users, name))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"plan": world.plan.pk}).status_code == 403


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_preview_then_confirm(office_client, world, tmp_path):
    path = dispatch_xlsx(tmp_path / "调度表.xlsx")
    tasks, events = Task.objects.count(), Event.objects.count()
    response = upload(office_client, world.plan, path)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-preview"' in page and "新增 2 项，更新 0 项，未变 0 项" in page
    assert "城区黑臭水体治理后反弹" in page and "3 条" in page
    counts = response.context["counts"]
    assert [(o.number, o.status, o.measures) for o in counts.outcomes] == [(4, "created", 3), (5, "created", 1)]
    assert (Task.objects.count(), Event.objects.count()) == (tasks, events)  # the preview writes nothing
    token = response.context["token"]
    assert len(stored_imports()) == 1

    response = office_client.post(URL, {"token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("plan_detail", kwargs={"pk": world.plan.pk})
    assert Task.objects.filter(plan=world.plan, number__in=[4, 5]).count() == 2
    assert Event.objects.filter(verb="task.created", actor=world.users.office).count() == 5  # 3 from the fixture
    assert stored_imports() == []  # the upload is deleted after the import
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["导入完成：新增 2 项，更新 0 项，未变 0 项。"]

    # the token is spent
    response = office_client.post(URL, {"token": token})
    assert response.status_code == 302 and response["Location"] == URL
    assert Task.objects.filter(plan=world.plan).count() == 5


def test_reupload_previews_unchanged(office_client, world, tmp_path):
    path = dispatch_xlsx(tmp_path / "t.xlsx")
    office_client.post(URL, {"token": upload(office_client, world.plan, path).context["token"]})
    response = upload(office_client, world.plan, path)
    assert [o.status for o in response.context["counts"].outcomes] == ["unchanged", "unchanged"]


def test_problems_are_listed_and_nothing_is_stored(office_client, world, tmp_path):
    rows = [
        [12, "问题一", "", "", "明年", "措施", "区住建委", "", "", "", "", ""],
        [13, "问题二", "", "", "2025年底", "措施", "区不存在局", "", "", "", "", ""],
    ]
    response = upload(office_client, world.plan, dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-problems"' in page and "token" not in response.context
    assert [(p.row, p.column) for p in response.context["problems"]] == [(3, "整改时限"), (4, "责任单位")]
    assert "第 3 行" in page and "无法识别的整改时限“明年”" in page and "区不存在局" in page
    assert 'data-testid="confirm-import"' not in page
    assert stored_imports() == []
    assert not Task.objects.filter(number__in=[12, 13]).exists()


def test_a_text_file_named_xlsx(office_client, world, tmp_path):
    path = tmp_path / "t.xlsx"
    path.write_text("序号,存在问题\n1,问题\n", encoding="utf-8")
    response = upload(office_client, world.plan, path)
    assert "内容是文本" in response.content.decode()


def test_wrong_extension_and_other_plans_are_form_errors(office_client, world, tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("x", encoding="utf-8")
    response = upload(office_client, world.plan, path)
    assert response.status_code == 400 and "file" in response.context["form"].errors
    response = upload(office_client, world.other_plan, dispatch_xlsx(tmp_path / "t.xlsx"))
    assert response.status_code == 400 and "plan" in response.context["form"].errors
    assert not Task.objects.filter(number=4).exists()


def test_a_token_of_another_session_is_refused(client, world, tmp_path):
    client.force_login(world.users.office)
    token = upload(client, world.plan, dispatch_xlsx(tmp_path / "t.xlsx")).context["token"]
    client.logout()
    client.force_login(world.users.office)  # a new session
    response = client.post(URL, {"token": token})
    assert response.status_code == 302 and response["Location"] == URL
    assert not Task.objects.filter(number=4).exists()


def test_office_may_create_units(client, world, tmp_path):
    from zhenggai.accounts.models import Organization

    client.force_login(world.users.office)
    rows = [[21, "取水口保护区违建", "区水利局", "", "2025年底", "拆除", "区水利局", "", "", "", "", ""]]
    path = dispatch_xlsx(tmp_path / "t.xlsx", rows, merges=[])
    response = upload(client, world.plan, path)
    assert "区水利局" in response.context["unknown_units"]
    response = upload(client, world.plan, path, create_units="on")
    assert response.context["counts"].units_created == ["区水利局"]
    assert not Organization.objects.filter(name="区水利局").exists()  # still only a preview
    client.post(URL, {"token": response.context["token"]})
    assert Task.objects.get(plan=world.plan, number=21).lead_unit.name == "区水利局"
