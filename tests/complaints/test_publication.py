"""Publishing complaint cases: refused until every case of the batch is approved; the published rows are
the ten columns, masked; a case handled further is refreshed after a new approval; the office's preview
page shows the masked spots; only the office publishes; the public pages read the published rows only,
are cacheable and carry ETags."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from zhenggai.complaints.complaint_import import handover_batch_get_or_create
from zhenggai.complaints.models import Complaint
from zhenggai.complaints.publication import (
    PUBLISHED_COLUMNS,
    batch_publish,
    complaint_republish,
    publication_preview,
)
from zhenggai.complaints.services import (
    complaint_assign,
    complaint_create,
    complaint_handle,
    complaint_review,
    complaint_submit,
)
from zhenggai.core.actors import system_actor
from zhenggai.core.errors import DomainError, PermissionDenied
from zhenggai.core.models import Event

PHONE, ID_NUMBER, EMAIL = "13912345678", "500228197608153214", "lp.resident@example.com"
COMPLAINANT = {"name": "向春林", "contact": "15923360418", "id_number": "500228198503124622"}


def make_batch(world, number=1, handed_over=dt.date(2024, 11, 19)):
    batch, _created = handover_batch_get_or_create(actor=world.users.office, inspection=world.inspection,
                                                   number=number, handed_over=handed_over)
    return batch


def make_case(world, batch, number, *, summary="双桂街道某烧烤店油烟直排，住户不敢开窗。", approve=True,
              status="done", complainant=None, investigation="经现场核查，该店未安装油烟净化设施，问题属实。",
              handling="责令安装油烟净化设施，已整改完毕。", note=""):
    office, staff, head = world.users.office, world.users.staff, world.users.head
    c = complaint_create(actor=office, batch=batch, data={
        "acceptance_number": number, "summary": summary, "region_text": "双桂街道", "pollution_types": ["air"],
        "pollution_subtypes": ["油烟"], "complainant": complainant or {}})
    c = complaint_assign(actor=office, complaint=c, lead_unit=world.dept)
    c = complaint_handle(actor=staff, complaint=c, data={
        "investigation": investigation, "truthfulness": "true", "handling": handling, "accountability": "无",
        "status": status})
    c = complaint_submit(actor=head, complaint=c)
    if note:  # returned once with a reason, then sent again
        c = complaint_review(actor=office, complaint=c, approve=False, note=note)
        c = complaint_handle(actor=staff, complaint=c, data={"remarks": "已补充。"})
        c = complaint_submit(actor=head, complaint=c)
    if approve:
        c = complaint_review(actor=office, complaint=c, approve=True)
    return c


@pytest.fixture
def pub(world):
    """Batch 1 with a priority case full of personal data (approved) and a plain case (submitted only)."""
    world.users.staff.last_name, world.users.staff.first_name = "李", "小俊"
    world.users.staff.save()
    batch = make_batch(world)
    secret = make_case(
        world, batch, "D8CQ202411180003★",
        summary=f"袁驿镇某养殖场粪污直排小溪。反映人电话{PHONE}，身份证号{ID_NUMBER}，邮箱{EMAIL}。",
        investigation="区住房城乡建委李小俊现场核查，粪污经暗管溢流，问题属实。",
        handling="已封堵暗管，处理结果已当面反馈来信人向春林。", complainant=COMPLAINANT,
        note="请补充暗管封堵的时间。")
    plain = make_case(world, batch, "X8CQ202411180004", approve=False)
    return batch, secret, plain


def test_publishing_is_refused_until_every_case_is_approved(world, pub):
    batch, secret, plain = pub
    with pytest.raises(DomainError) as refused:
        batch_publish(actor=world.users.office, batch=batch)
    message = str(refused.value.message)
    assert "X8CQ202411180004" in message and "D8CQ202411180003" not in message and "审核通过" in message
    batch.refresh_from_db()
    assert batch.published_at is None
    assert not Complaint.objects.filter(batch=batch, published_at__isnull=False).exists()
    assert Complaint.objects.get(pk=secret.pk).published_data == {}

    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    batch_publish(actor=world.users.office, batch=batch)
    batch.refresh_from_db()
    assert batch.published_at is not None and batch.published_by == world.users.office
    assert set(Complaint.objects.filter(batch=batch).values_list("published_at", flat=True)) == {batch.published_at}
    event = Event.objects.get(verb="batch.published", object_type="handoverbatch", object_id=str(batch.pk))
    assert event.actor == world.users.office and event.data["complaints"] == [secret.acceptance_number,
                                                                                plain.acceptance_number]
    for case in (secret, plain):  # each case's history shows it too
        assert Event.objects.filter(verb="complaint.published", object_type="complaint",
                                    object_id=str(case.pk)).count() == 1
    with pytest.raises(DomainError, match="已于"):
        batch_publish(actor=world.users.office, batch=batch)


def test_published_data_is_the_ten_columns_masked(world, pub):
    batch, secret, plain = pub
    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    batch_publish(actor=world.users.office, batch=batch)
    data = Complaint.objects.get(pk=secret.pk).published_data
    assert set(data) == set(PUBLISHED_COLUMNS)  # (jsonb keeps no key order: pages follow PUBLISHED_COLUMNS)
    assert data["序号"] == "1" and data["受理编号"] == "D8CQ202411180003★"
    assert data["行政区域"] == "双桂街道" and data["污染类型"] == "大气（油烟）"
    assert (data["是否属实"], data["是否办结"], data["责任人被处理情况"]) == ("属实", "已办结", "无")
    text = "".join(data.values())
    for secret_text in (PHONE, ID_NUMBER, EMAIL, "向春林", "李小俊", COMPLAINANT["contact"], "请补充暗管封堵"):
        assert secret_text not in text
    assert "139****5678" in data["交办问题基本情况"] and "5002**********3214" in data["交办问题基本情况"]
    assert "l***@example.com" in data["交办问题基本情况"]
    assert "李某某现场核查" in data["调查核实情况"] and "来信人向某某" in data["处理和整改情况"]
    assert Complaint.objects.get(pk=plain.pk).published_data["受理编号"] == "X8CQ202411180004"


def test_republish_refreshes_one_case_after_a_new_approval(world, pub):
    batch, secret, plain = pub
    office = world.users.office
    complaint_review(actor=office, complaint=plain, approve=True)
    with pytest.raises(DomainError, match="尚未公开"):
        complaint_republish(actor=office, complaint=plain)
    stage = make_case(world, batch, "D8CQ202411180005", status="stage_done", handling="已完成截污，生态护坡正在施工。")
    batch_publish(actor=office, batch=batch)
    first = Complaint.objects.get(pk=stage.pk)
    assert first.published_data["是否办结"] == "阶段性办结"

    stage = complaint_handle(actor=world.users.staff, complaint=Complaint.objects.get(pk=stage.pk), data={
        "status": "done", "handling": "已完成截污和生态护坡，水体黑臭消除。"})
    with pytest.raises(DomainError, match="尚未审核通过"):
        complaint_republish(actor=office, complaint=stage)
    assert Complaint.objects.get(pk=stage.pk).published_data == first.published_data  # the public keeps the last approved
    stage = complaint_submit(actor=world.users.head, complaint=stage)
    stage = complaint_review(actor=office, complaint=stage, approve=True)
    with pytest.raises(PermissionDenied):
        complaint_republish(actor=world.users.head, complaint=stage)
    complaint_republish(actor=office, complaint=stage)
    again = Complaint.objects.get(pk=stage.pk)
    assert again.published_data["是否办结"] == "已办结" and "生态护坡，水体黑臭消除" in again.published_data["处理和整改情况"]
    assert again.published_at > first.published_at
    event = Event.objects.get(verb="complaint.published", object_id=str(stage.pk), data__refresh=True)
    assert set(event.data["changes"]) == {"处理和整改情况", "是否办结"}
    complaint_republish(actor=office, complaint=again)  # nothing changed: no new event
    assert Event.objects.filter(verb="complaint.published", object_id=str(stage.pk)).count() == 2

    page = world_client_get(reverse("portal_batch", args=[batch.pk]))
    assert "持续整改办理情况，更新于" in page


def world_client_get(url):
    from django.test import Client

    response = Client().get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_preview_lists_the_masked_spots(world, pub):
    batch, secret, _plain = pub
    rows = publication_preview(batch)
    assert [r.complaint.pk for r in rows][:1] == [secret.pk]
    assert rows[0].ready and not rows[1].ready
    found = {(s.column, s.found, s.masked) for s in rows[0].spots}
    assert ("交办问题基本情况", PHONE, "139****5678") in found
    assert ("交办问题基本情况", ID_NUMBER, "5002**********3214") in found
    assert ("交办问题基本情况", EMAIL, "l***@example.com") in found
    assert ("调查核实情况", "李小俊", "李某某") in found and ("处理和整改情况", "向春林", "向某某") in found
    cells = dict(rows[0].cells)
    assert '<mark class="zg-masked">139****5678</mark>' in cells["交办问题基本情况"]
    assert Complaint.objects.get(pk=secret.pk).published_at is None  # a preview writes nothing


def test_staff_page_previews_then_publishes(client, world, pub):
    batch, _secret, plain = pub
    url = reverse("batch_publish", args=[batch.pk])
    client.force_login(world.users.office)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="publish-preview"' in html and 'data-testid="masked-items"' in html
    assert "139****5678" in html and PHONE in html  # the office sees what is masked and the original
    assert 'data-testid="publish-waiting"' in html and "X8CQ202411180004" in html
    assert 'data-testid="publish-batch"' not in html
    refused = client.post(url, follow=True)
    assert "尚未审核通过" in refused.content.decode()
    assert Complaint.objects.get(pk=plain.pk).published_at is None

    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    assert 'data-testid="publish-batch"' in client.get(url).content.decode()
    done = client.post(url, follow=True)
    assert done.redirect_chain[-1][0] == url
    assert 'data-testid="published-note"' in done.content.decode()
    batch.refresh_from_db()
    assert batch.published_at is not None


@pytest.mark.parametrize("who", ["leader", "head", "staff", "discipline"])
def test_only_the_office_publishes(client, world, pub, who):
    batch, _secret, plain = pub
    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    user = getattr(world.users, who)
    client.force_login(user)
    url = reverse("batch_publish", args=[batch.pk])
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    with pytest.raises(PermissionDenied):
        batch_publish(actor=user, batch=batch)
    batch.refresh_from_db()
    assert batch.published_at is None


def test_hidden_batch_is_404_and_anonymous_goes_to_login(client, world, pub):
    batch, _secret, _plain = pub
    url = reverse("batch_publish", args=[batch.pk])
    assert client.get(url).status_code == 302
    client.force_login(world.users.other_office)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    with pytest.raises(PermissionDenied):
        batch_publish(actor=world.users.other_office, batch=batch)


def test_the_system_actor_publishes(world, pub):
    batch, _secret, plain = pub
    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    batch_publish(actor=system_actor(), batch=batch, at=dt.datetime(2024, 12, 20, 2, tzinfo=dt.UTC))
    batch.refresh_from_db()
    assert batch.published_at == dt.datetime(2024, 12, 20, 2, tzinfo=dt.UTC)


def test_public_pages_show_published_rows_only_and_are_cacheable(client, world, pub):
    batch, secret, plain = pub
    page_url = reverse("portal_batch", args=[batch.pk])
    for name in ("portal_batch", "portal_batch_xlsx", "portal_batch_pdf"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404  # not published yet
    assert "暂无公开" in client.get(reverse("portal_complaints")).content.decode()

    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    batch_publish(actor=world.users.office, batch=batch)
    # a later change of the live fields does not reach the public before it is approved and republished
    complaint_handle(actor=world.users.staff, complaint=Complaint.objects.get(pk=plain.pk),
                     data={"handling": "尚未审核的新内容"})

    response = client.get(page_url)
    assert response.status_code == 200
    assert response["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    etag = response["ETag"]
    html = response.content.decode()
    assert html.count("<th scope=\"col\">") == 10
    assert "D8CQ202411180003★" in html and "139****5678" in html
    for hidden in (PHONE, ID_NUMBER, EMAIL, "向春林", "李小俊", "请补充暗管封堵", "尚未审核的新内容"):
        assert hidden not in html
    not_modified = client.get(page_url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304 and "max-age=300" in not_modified["Cache-Control"]

    workbook = load_workbook(io.BytesIO(client.get(reverse("portal_batch_xlsx", args=[batch.pk])).content))
    cells = [str(c.value) for row in workbook.active.iter_rows() for c in row if c.value is not None]
    assert cells[:10] == list(PUBLISHED_COLUMNS)
    assert "D8CQ202411180003★" in cells and not any(PHONE in c or "向春林" in c for c in cells)
    pdf = client.get(reverse("portal_batch_pdf", args=[batch.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf["ETag"] and pdf["ETag"] != etag

    index = client.get(reverse("portal_complaints"))
    text = index.content.decode()
    assert index.status_code == 200 and "public" in index["Cache-Control"] and index["ETag"]
    assert "累计交办群众信访举报件2件" in text and reverse("portal_batch", args=[batch.pk]) in text
    batches = text[text.index('data-testid="complaints-batches"'):]
    assert "第1批" in batches and "2 件" in batches


def test_the_etag_changes_when_a_case_is_republished(client, world, pub):
    batch, _secret, plain = pub
    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    batch_publish(actor=world.users.office, batch=batch)
    url = reverse("portal_batch", args=[batch.pk])
    before = client.get(url)["ETag"]
    changed = complaint_handle(actor=world.users.staff, complaint=Complaint.objects.get(pk=plain.pk),
                               data={"handling": "已安装油烟净化设施并建立清洗台账。"})
    changed = complaint_submit(actor=world.users.head, complaint=changed)
    changed = complaint_review(actor=world.users.office, complaint=changed, approve=True)
    complaint_republish(actor=world.users.office, complaint=changed)
    response = client.get(url, HTTP_IF_NONE_MATCH=before)
    assert response.status_code == 200 and response["ETag"] != before
    assert "已安装油烟净化设施并建立清洗台账" in response.content.decode()


def test_public_pages_take_a_fixed_number_of_queries(client, world, pub, django_assert_max_num_queries):
    batch, _secret, plain = pub
    complaint_review(actor=world.users.office, complaint=plain, approve=True)
    for n in range(6, 12):
        make_case(world, batch, f"D8CQ2024111800{n:02d}")
    batch_publish(actor=world.users.office, batch=batch)
    second = make_batch(world, number=2, handed_over=dt.date(2024, 11, 20))
    make_case(world, second, "D8CQ202411190020")
    batch_publish(actor=world.users.office, batch=second)
    with django_assert_max_num_queries(4):  # the ETag's two, the batch, its rows
        assert client.get(reverse("portal_batch", args=[batch.pk])).status_code == 200
    # the ETag's two, counts, batches, the figures' three per inspection (per batch, the batches, per region)
    with django_assert_max_num_queries(7):
        assert client.get(reverse("portal_complaints")).status_code == 200
