"""Who sees which case, and that the complainant never reaches a unit's page or an export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.urls import reverse

from zhenggai.complaints.selectors import complainant_for_user, complaint_list_for_user

from .conftest import DEPT_COMPLAINANT, TOWN_COMPLAINANT, make_complaint

pytestmark = pytest.mark.usefixtures("complaint_urls")

SECRETS = [TOWN_COMPLAINANT["name"], TOWN_COMPLAINANT["contact"], TOWN_COMPLAINANT["id_number"],
           DEPT_COMPLAINANT["name"], DEPT_COMPLAINANT["contact"]]


def visible(user):
    return set(complaint_list_for_user(user).values_list("acceptance_number", flat=True))


def test_each_user_sees_their_cases(cw):
    town, dept, coop = cw.town.acceptance_number, cw.dept.acceptance_number, cw.coop.acceptance_number
    assert visible(cw.users.staff2) == {town, coop}  # leads one, cooperates on one
    assert visible(cw.users.staff) == {dept, coop}
    assert visible(cw.users.sub) == set()  # a sub-unit does not see its parent's cases
    assert visible(cw.users.unrelated) == set()
    assert visible(cw.users.other_office) == set()
    assert visible(cw.users.office) == visible(cw.users.leader) == visible(cw.users.discipline) == {town, dept, coop}


def test_only_the_office_sees_the_complainant(cw):
    assert complainant_for_user(cw.users.office, cw.town).name == TOWN_COMPLAINANT["name"]
    for user in ("staff2", "head2", "leader", "discipline", "admin"):
        assert complainant_for_user(getattr(cw.users, user), cw.town) is None


def test_township_list_page_shows_only_its_cases(cw, login):
    html = login(cw.users.staff2).get(reverse("complaint_list")).content.decode()
    assert cw.town.acceptance_number in html and cw.coop.acceptance_number in html
    assert cw.dept.acceptance_number not in html


@pytest.mark.parametrize("name", ["complaint_detail", "complaint_handle", "complaint_assign", "complaint_review"])
def test_hidden_cases_are_missing(cw, login, name):
    url = reverse(name, args=[cw.town.pk])
    hidden = login(cw.users.unrelated).get(url)
    missing = login(cw.users.unrelated).get(reverse(name, args=[999999]))
    assert hidden.status_code == missing.status_code == 404
    assert login(cw.users.staff).get(url).status_code == 404  # the department is not party to it


def test_hidden_batches_are_missing(cw, login):
    client = login(cw.users.unrelated)
    assert client.get(reverse("batch_detail", args=[cw.batch.pk])).status_code == 404
    assert str(cw.batch) not in client.get(reverse("batch_list")).content.decode()


@pytest.mark.parametrize("user", ["staff2", "head2", "staff", "leader", "discipline"])
def test_complainant_never_in_unit_pages(cw, login, user):
    client = login(getattr(cw.users, user))
    pages = [reverse("complaint_list"), reverse("batch_detail", args=[cw.batch.pk]), reverse("batch_list"),
             reverse("complaint_statistics")]
    for case in (cw.town, cw.dept, cw.coop):
        response = client.get(reverse("complaint_detail", args=[case.pk]))
        if response.status_code == 200:
            pages.append(reverse("complaint_detail", args=[case.pk]))
            html = response.content.decode()
            assert 'data-testid="complainant"' not in html
            assert all(secret not in html for secret in SECRETS)
    for url in pages:
        html = client.get(url).content.decode()
        assert all(secret not in html for secret in SECRETS), url


def test_office_sees_the_complainant_on_the_case_page(cw, login):
    html = login(cw.users.office).get(reverse("complaint_detail", args=[cw.town.pk])).content.decode()
    assert 'data-testid="complainant"' in html
    assert TOWN_COMPLAINANT["name"] in html and TOWN_COMPLAINANT["contact"] in html


def _export_text(client, query=""):
    response = client.get(reverse("complaint_list_export") + query)
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return "\n".join(str(cell.value) for row in book.active.iter_rows() for cell in row if cell.value is not None)


@pytest.mark.parametrize("user", ["office", "staff2", "leader"])
def test_complainant_never_in_the_export(cw, login, user):
    text = _export_text(login(getattr(cw.users, user)))
    assert all(secret not in text for secret in SECRETS)
    assert cw.coop.acceptance_number in text


def test_phones_in_the_text_are_masked_outside_the_office(cw, login):
    case = make_complaint(cw.world, cw.batch, "D3CQ202506030009", "信访人电话13700001111，反映某砂石厂扬尘",
                          lead_unit=cw.world.town)
    url = reverse("complaint_detail", args=[case.pk])
    unit_html = login(cw.users.staff2).get(url).content.decode()
    assert "13700001111" not in unit_html and "137****1111" in unit_html
    office_html = login(cw.users.office).get(url).content.decode()
    assert "13700001111" in office_html and 'data-testid="sensitive-note"' in office_html
    assert "13700001111" not in _export_text(login(cw.users.office))
    assert "137****1111" in login(cw.users.staff2).get(reverse("complaint_list")).content.decode()


def test_export_follows_scope(cw, login):
    text = _export_text(login(cw.users.staff2))
    assert cw.town.acceptance_number in text and cw.dept.acceptance_number not in text
    assert _export_text(login(cw.users.unrelated)).count("D3CQ") == 0
