"""The complaint import page: office only; upload → preview (or every problem) → confirm → the list."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import include, path, reverse

from zhenggai.complaints.import_views import complaint_list_url
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.config.urls import urlpatterns as project_urls
from zhenggai.core.models import Event

from .conftest_import import HANDED_OVER, ROWS, make_places, table

# until config/urls.py includes the import URLs, the tests add them
urlpatterns = [*project_urls, path("", include("zhenggai.complaints.urls_import"))]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def places(world):
    return make_places(world)


@pytest.fixture
def url():
    return reverse("complaint_import")


@pytest.fixture
def office_client(client, world):
    client.force_login(world.users.office)
    return client


def upload(client, url, inspection, file_path, **extra):
    data = {"inspection": inspection.pk, "batch": 1, "handed_over": HANDED_OVER.isoformat()}
    data.update(extra)
    with file_path.open("rb") as handle:
        return client.post(url, {**data, "file": handle})


def stored_imports():
    try:
        return default_storage.listdir("imports")[1]
    except FileNotFoundError:
        return []


def test_url(url):
    assert url == "/complaints/import/"


def test_office_sees_the_form_with_its_inspections_only(office_client, world, url):
    response = office_client.get(url, {"inspection": world.inspection.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["inspection"].queryset) == [world.inspection]  # not the other district's
    assert form.initial["inspection"] == world.inspection
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page and 'type="date"' in page


@pytest.mark.parametrize("name", ["staff", "head", "acceptor", "leader", "discipline", "admin", "unrelated"])
def test_others_are_refused(client, world, url, name):
    client.force_login(getattr(world.users, name))
    assert client.get(url).status_code == 403
    assert client.post(url, {"inspection": world.inspection.pk}).status_code == 403
    assert client.post(url, {"token": "0" * 32}).status_code == 403


def test_anonymous_is_sent_to_login(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_preview_then_confirm(office_client, world, places, url, tmp_path):
    file_path = table(tmp_path / "信访件.xlsx")
    events = Event.objects.count()
    response = upload(office_client, url, world.inspection, file_path)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-preview"' in page
    assert "新增 4 件，更新 0 件，未变 0 件" in page
    assert "将新建交办批次：第1批（2023-12-12 交办）" in page
    counts = response.context["counts"]
    assert [(o.number, o.status, o.is_priority, o.region, o.region_matched) for o in counts.outcomes] == [
        ("D3CQ202312110042", "created", False, "双桂街道", True),
        ("X3CQ202312110043", "created", True, "屏锦镇", True),
        ("梁平区2023-03号", "created", False, "梁平区", True),
        ("D3CQ202312110045", "created", False, "梁平工业园区", False),
    ]
    assert counts.outcomes[3].types == ["大气", "土壤"] and counts.outcomes[3].subtypes == ["扬尘"]
    assert 'data-testid="priority"' in page and "未匹配" in page and "大气、土壤" in page
    assert (Complaint.objects.count(), HandoverBatch.objects.count(), Event.objects.count()) == (0, 0, events)
    token = response.context["token"]
    assert len(stored_imports()) == 1

    response = office_client.post(url, {"token": token})
    assert response.status_code == 302
    assert response["Location"] == complaint_list_url()
    assert Complaint.objects.filter(inspection=world.inspection, batch__number=1).count() == 4
    assert Event.objects.filter(verb="complaint.imported", actor=world.users.office).count() == 4
    assert stored_imports() == []
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["导入完成：第1批新增 4 件，更新 0 件，未变 0 件。"]

    # the token is spent
    response = office_client.post(url, {"token": token})
    assert response.status_code == 302 and response["Location"] == url
    assert Complaint.objects.count() == 4


def test_reupload_previews_unchanged(office_client, world, places, url, tmp_path):
    file_path = table(tmp_path / "t.xlsx")
    office_client.post(url, {"token": upload(office_client, url, world.inspection, file_path).context["token"]})
    response = upload(office_client, url, world.inspection, file_path)
    assert "新增 0 件，更新 0 件，未变 4 件" in response.content.decode()
    assert "将新建交办批次" not in response.content.decode()


def test_problems_are_listed_and_nothing_is_stored(office_client, world, places, url, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][6] = "是"
    rows[2][4] = "火星"
    response = upload(office_client, url, world.inspection, table(tmp_path / "t.xlsx", rows))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-problems"' in page and 'data-testid="import-preview"' not in page
    assert [(p.row, p.column) for p in response.context["problems"]] == [(3, "是否属实"), (5, "污染类型")]
    assert 'data-row="3"' in page and 'data-row="5"' in page
    assert "token" not in response.context
    assert stored_imports() == [] and not Complaint.objects.exists()


def test_html_page_upload(office_client, world, places, url, tmp_path):
    from .conftest_import import html_page

    response = upload(office_client, url, world.inspection, html_page(tmp_path / "p.html"))
    assert response.status_code == 200 and response.context["counts"].created == 4


def test_invalid_form(office_client, world, url, tmp_path):
    bad = tmp_path / "t.pdf"
    bad.write_bytes(b"%PDF")
    response = upload(office_client, url, world.inspection, bad, batch=0)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "file" in errors and "batch" in errors


def test_other_districts_inspection_is_not_a_choice(office_client, world, url, tmp_path):
    from tests import factories as f

    other = f.inspection(target_region=world.other_district, title="垫江县督察")
    response = upload(office_client, url, other, table(tmp_path / "t.xlsx"))
    assert response.status_code == 400 and "inspection" in response.context["form"].errors


def test_batch_with_another_date_is_a_problem(office_client, world, places, url, tmp_path):
    HandoverBatch.objects.create(inspection=world.inspection, number=1, handed_over=HANDED_OVER.replace(day=1))
    response = upload(office_client, url, world.inspection, table(tmp_path / "t.xlsx"))
    assert "与填写的交办日期 2023-12-12 不一致" in response.content.decode()
    assert "token" not in response.context
