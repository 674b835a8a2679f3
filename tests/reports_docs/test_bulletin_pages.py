"""The bulletin page: the office generates, leaders and discipline read, others are refused."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from zhenggai.reports.models import Bulletin

from .conftest import D

LIST = "/reports/bulletins/"


def _done_bulletin(world, region=None, month=D(2025, 3, 1)) -> Bulletin:
    """A generated bulletin with small stand-in files (rendering is tested in test_bulletin.py)."""
    bulletin = Bulletin.objects.create(region=region or world.district, month=month, number=1, title="通报",
                                       requested_by=world.users.office, status=Bulletin.Status.DONE)
    bulletin.pdf.save("b.pdf", ContentFile(b"%PDF-1.7 stand-in"), save=False)
    bulletin.docx.save("b.docx", ContentFile(b"PK stand-in"), save=False)
    bulletin.save()
    return bulletin


def test_urls():
    assert reverse("bulletin_list") == LIST
    assert reverse("bulletin_pdf", args=[7]) == "/reports/bulletins/7.pdf"
    assert reverse("bulletin_docx", args=[7]) == "/reports/bulletins/7.docx"


def test_office_generates_a_month(client, world, django_capture_on_commit_callbacks):
    client.force_login(world.users.office)
    page = client.get(LIST)
    assert page.status_code == 200 and b'data-testid="bulletin-form"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(LIST, {"month": "2025-03"})
    assert response.status_code == 302 and response["Location"] == LIST
    bulletin = Bulletin.objects.get()
    assert (bulletin.region, bulletin.month, bulletin.status) == (world.district, D(2025, 3, 1), Bulletin.Status.QUEUED)
    assert "梁平区生态环境保护督察整改调度通报（2025年第1期）" in client.get(LIST).content.decode()


def test_a_bad_month_is_explained(client, world):
    client.force_login(world.users.office)
    response = client.post(LIST, {"month": "2025-3x"})
    assert response.status_code == 400 and "月份格式应为 YYYY-MM" in response.content.decode()
    assert not Bulletin.objects.exists()


@pytest.mark.parametrize("who", ["leader", "discipline"])
def test_leaders_and_discipline_read_and_download(client, world, who):
    bulletin = _done_bulletin(world)
    client.force_login(getattr(world.users, who))
    page = client.get(LIST)
    assert page.status_code == 200 and b"bulletin-form" not in page.content
    assert reverse("bulletin_pdf", args=[bulletin.pk]).encode() in page.content
    assert client.post(LIST, {"month": "2025-03"}).status_code == 403
    pdf = client.get(reverse("bulletin_pdf", args=[bulletin.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content) == b"%PDF-1.7 stand-in"
    docx = client.get(reverse("bulletin_docx", args=[bulletin.pk]))
    assert docx.status_code == 200 and "wordprocessingml" in docx["Content-Type"]


@pytest.mark.parametrize("who", ["staff", "head", "acceptor", "admin", "unrelated"])
def test_other_roles_are_refused(client, world, who):
    bulletin = _done_bulletin(world)
    client.force_login(getattr(world.users, who))
    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"month": "2025-03"}).status_code == 403
    assert client.get(reverse("bulletin_pdf", args=[bulletin.pk])).status_code == 403


def test_bulletins_of_another_region_are_hidden(client, world):
    bulletin = _done_bulletin(world)
    client.force_login(world.users.other_office)
    assert reverse("bulletin_pdf", args=[bulletin.pk]).encode() not in client.get(LIST).content
    assert client.get(reverse("bulletin_pdf", args=[bulletin.pk])).status_code == 404
    assert client.get(reverse("bulletin_docx", args=[bulletin.pk])).status_code == 404


def test_a_queued_bulletin_has_nothing_to_download(client, world):
    bulletin = Bulletin.objects.create(region=world.district, month=D(2025, 3, 1), number=1, title="通报",
                                       requested_by=world.users.office)
    client.force_login(world.users.office)
    assert client.get(reverse("bulletin_pdf", args=[bulletin.pk])).status_code == 404
