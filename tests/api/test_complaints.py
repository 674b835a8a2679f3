"""Complaint routes: the same scope, masking, services and refusals as the complaint pages."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.complaints import conftest as complaint_fixtures
from tests.evidence import samples as s
from zhenggai.accounts.policies import scope_for
from zhenggai.complaints import statistics as stats
from zhenggai.complaints.models import Complaint, ComplaintStatus, HandoverBatch, ReviewStatus
from zhenggai.complaints.selectors import ComplaintFilters, complaint_list_for_user, today
from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence

from .conftest import ApiClient, token_for

# the complaint pages' fixtures: the same cases the page tests use
cw = complaint_fixtures.cw
complaint_urls = complaint_fixtures.complaint_urls
TOWN_COMPLAINANT = complaint_fixtures.TOWN_COMPLAINANT
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("complaint_urls")]

RESULT = {"investigation": "经核查属实，联系人电话13812345678", "truthfulness": "true", "handling": "已责令停产整改",
          "status": "done", "ordered_rectify": 1, "penalized": 1, "fine_amount": "25000.50"}


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user) -> ApiClient:
    return ApiClient(token_for(user))


@pytest.mark.parametrize("role", ["staff", "staff2", "sub", "unrelated", "acceptor", "other_office"])
def test_scope_parity_with_the_pages(cw, role):
    user = getattr(cw.users, role)
    client = api_for(user)
    missing = client.get("/api/v1/complaints/987654")
    assert missing.status_code == 404
    for case in (cw.town, cw.dept, cw.coop):
        page = page_client(user).get(f"/complaints/{case.pk}/")
        answer = client.get(f"/api/v1/complaints/{case.pk}")
        assert answer.status_code == page.status_code
        if page.status_code == 404:
            assert answer.json() == missing.json()
            assert client.post(f"/api/v1/complaints/{case.pk}/submit").status_code == 404
            assert client.post(f"/api/v1/complaints/{case.pk}/handle", {"handling": "x"}).status_code == 404
    listed = {row["id"] for row in client.get("/api/v1/complaints", {"page_size": 100}).json()["items"]}
    assert listed == set(complaint_list_for_user(user).values_list("pk", flat=True))
    batches = client.get("/api/v1/complaint-batches").json()
    assert {b["id"]: b["visible_count"] for b in batches["items"]} == (
        {cw.batch.pk: len(listed)} if scope_for(user, HandoverBatch.objects.filter(pk=cw.batch.pk)).exists() else {})


def test_filters_match_the_list_page(cw):
    client = api_for(cw.users.office)
    for params in ({"priority": "true"}, {"type": "noise"}, {"unit": cw.world.town.pk}, {"q": "化工厂"},
                   {"q": "X3CQ2025"}, {"status": "open", "sort": "deadline"}, {"warning": "red"}):
        got = [row["id"] for row in client.get("/api/v1/complaints", params).json()["items"]]
        query = {k: ("1" if v == "true" else str(v)) for k, v in params.items()}
        expected = list(complaint_list_for_user(cw.users.office, ComplaintFilters.from_query(query))
                        .values_list("pk", flat=True))
        assert got == expected, params
    assert client.get("/api/v1/complaints", {"status": "nonsense"}).status_code == 422


def test_complainant_and_raw_text_only_for_the_office(cw):
    office = api_for(cw.users.office).get(f"/api/v1/complaints/{cw.town.pk}").json()
    assert office["complainant"] == {**TOWN_COMPLAINANT}
    assert set(office["actions"]) >= {"assign", "handle", "link"}
    unit = api_for(cw.users.staff2)
    unit.post(f"/api/v1/complaints/{cw.town.pk}/handle", {"investigation": "联系人电话13812345678"})
    seen = unit.get(f"/api/v1/complaints/{cw.town.pk}").json()
    assert seen["complainant"] is None
    assert "13812345678" not in str(seen) and TOWN_COMPLAINANT["name"] not in str(seen)
    assert seen["actions"] == ["handle"]
    raw = api_for(cw.users.office).get(f"/api/v1/complaints/{cw.town.pk}").json()
    assert "13812345678" in raw["investigation"]
    listing = unit.get("/api/v1/complaints").json()["items"]
    assert all("complainant" not in row for row in listing)


def test_handle_submit_approve_and_publish(cw, django_capture_on_commit_callbacks):
    staff2, head2, office = api_for(cw.users.staff2), api_for(cw.users.head2), api_for(cw.users.office)
    answer = staff2.post(f"/api/v1/complaints/{cw.town.pk}/handle", RESULT)
    assert answer.status_code == 200, answer.json()
    case = Complaint.objects.get(pk=cw.town.pk)
    assert (case.status, case.truthfulness, case.penalized, str(case.fine_amount)) == ("done", "true", 1, "25000.50")
    assert case.done_at == today()
    assert Event.objects.filter(verb="complaint.handled").count() == 1
    assert answer.json()["counters"]["fine_amount"] in ("25000.50", 25000.5)
    # a unit staff member may not submit: the service refuses it, as the page's button is not offered
    refused = staff2.post(f"/api/v1/complaints/{cw.town.pk}/submit")
    assert refused.status_code == 403 and refused.json()["code"] == "permission_denied"
    with django_capture_on_commit_callbacks(execute=True):
        assert head2.post(f"/api/v1/complaints/{cw.town.pk}/submit").json()["review_status"] == "submitted"
    busy = staff2.post(f"/api/v1/complaints/{cw.town.pk}/handle", {"handling": "再改"})
    assert busy.status_code == 409  # awaiting review: the same rule as the page
    assert head2.post(f"/api/v1/complaints/{cw.town.pk}/approve").status_code == 403
    assert office.post(f"/api/v1/complaints/{cw.town.pk}/return", {}).status_code == 422  # a reason is required
    assert office.post(f"/api/v1/complaints/{cw.town.pk}/return", {"note": "请补充"}).json()["review_status"] == "returned"
    assert Complaint.objects.get(pk=cw.town.pk).review_note == "请补充"
    head2.post(f"/api/v1/complaints/{cw.town.pk}/submit")
    assert office.post(f"/api/v1/complaints/{cw.town.pk}/approve").json()["review_status"] == ReviewStatus.APPROVED
    # the batch is published only when every case is approved (409 with the numbers otherwise)
    early = office.post(f"/api/v1/complaint-batches/{cw.batch.pk}/publish")
    assert early.status_code == 409 and cw.dept.acceptance_number in early.json()["message"]
    for case in (cw.dept, cw.coop):
        office.post(f"/api/v1/complaints/{case.pk}/handle", {**RESULT, "investigation": "属实"})
        office.post(f"/api/v1/complaints/{case.pk}/submit")
        office.post(f"/api/v1/complaints/{case.pk}/approve")
    assert api_for(cw.users.head2).post(f"/api/v1/complaint-batches/{cw.batch.pk}/publish").status_code == 403
    published = office.post(f"/api/v1/complaint-batches/{cw.batch.pk}/publish")
    assert published.status_code == 200 and published.json()["published_at"]
    assert HandoverBatch.objects.get(pk=cw.batch.pk).published_at is not None
    assert office.post(f"/api/v1/complaint-batches/{cw.batch.pk}/publish").status_code == 409


def test_false_conclusion_needs_evidence_and_upload_works(cw):
    staff2 = api_for(cw.users.staff2)
    refused = staff2.post(f"/api/v1/complaints/{cw.town.pk}/handle", {"truthfulness": "false"})
    assert refused.status_code == 422 and refused.json()["field"] == "truthfulness"
    assert Complaint.objects.get(pk=cw.town.pk).truthfulness == ""
    upload = staff2.client.post(f"/api/v1/complaints/{cw.town.pk}/evidence",
                                {"files": [s.upload("现场.pdf", s.pdf(), "application/pdf")], "category": "statement",
                                 "description": "调查笔录"}, headers=staff2.headers)
    assert upload.status_code == 201, upload.json()
    assert Evidence.objects.filter(complaint=cw.town, description="调查笔录").count() == 1
    bad = staff2.client.post(f"/api/v1/complaints/{cw.town.pk}/evidence",
                             {"files": [s.upload("x.exe", b"MZ\x90\x00" * 50)], "category": "statement"},
                             headers=staff2.headers)
    assert bad.status_code == 422 and bad.json()["code"] == "evidence_refused"
    # a cooperating unit reads the case but may not upload, as in the page
    coop = api_for(cw.users.staff2).client.post(
        f"/api/v1/complaints/{cw.coop.pk}/evidence", {"files": [s.upload("a.pdf", s.pdf(), "application/pdf")],
                                                      "category": "statement"}, headers=api_for(cw.users.staff2).headers)
    assert coop.status_code == 403
    assert staff2.post(f"/api/v1/complaints/{cw.town.pk}/handle", {"truthfulness": "false"}).status_code == 200


def test_assign_and_link_are_for_the_office(cw, django_capture_on_commit_callbacks):
    office, staff = api_for(cw.users.office), api_for(cw.users.staff)
    assert staff.post(f"/api/v1/complaints/{cw.dept.pk}/assign", {"lead_unit": cw.world.town.pk}).status_code == 403
    assert page_client(cw.users.staff).get(f"/complaints/{cw.dept.pk}/assign/").status_code == 403
    hidden = office.post(f"/api/v1/complaints/{cw.dept.pk}/assign", {"lead_unit": cw.world.office_org.pk})
    assert hidden.status_code == 422 and hidden.json()["field"] == "lead_unit"
    with django_capture_on_commit_callbacks(execute=True):
        done = office.post(f"/api/v1/complaints/{cw.dept.pk}/assign",
                           {"lead_unit": cw.world.town.pk, "cooperating_units": [cw.world.dept.pk]})
    assert done.status_code == 200
    assert Complaint.objects.get(pk=cw.dept.pk).lead_unit == cw.world.town
    assert [u["id"] for u in done.json()["cooperating_units"]] == [cw.world.dept.pk]
    assert staff.post(f"/api/v1/complaints/{cw.coop.pk}/link", {"action": "repeat", "other": cw.dept.pk}).status_code == 403
    linked = office.post(f"/api/v1/complaints/{cw.coop.pk}/link", {"action": "repeat", "other": cw.town.pk})
    assert linked.json()["repeat_of_id"] == cw.town.pk
    assert office.post(f"/api/v1/complaints/{cw.coop.pk}/link", {"action": "repeat"}).status_code == 422
    merged = office.post(f"/api/v1/complaints/{cw.dept.pk}/link", {"action": "merge", "other": cw.town.pk}).json()
    assert merged["merged_into_id"] == cw.town.pk and "handle" not in merged["actions"]
    assert office.post(f"/api/v1/complaints/{cw.dept.pk}/handle", {"handling": "x"}).status_code == 409
    assert office.post(f"/api/v1/complaints/{cw.coop.pk}/link", {"action": "unlink"}).json()["repeat_of_id"] is None
    events = office.get(f"/api/v1/complaints/{cw.coop.pk}/events").json()["items"]
    assert [e["verb"] for e in events][:2] == ["complaint.repeat_unlinked", "complaint.repeat_linked"]


def test_statistics_are_the_pages_figures(cw):
    office = api_for(cw.users.office)
    office.post(f"/api/v1/complaints/{cw.town.pk}/handle", RESULT)
    answer = office.get("/api/v1/complaints/statistics", {"batch": cw.batch.pk}).json()
    figures = stats.complaint_statistics(Complaint.objects.filter(batch=cw.batch), on=today())
    assert (answer["total"], answer["done"], answer["not_done"]) == (3, 1, 2)
    assert answer["sentence"] == stats.summary_sentence(figures)
    assert [t["code"] for t in answer["by_type"]] == ["air", "noise"]
    unit = api_for(cw.users.staff2).get("/api/v1/complaints/statistics").json()
    assert unit["total"] == 2  # the township's cases only (led or cooperating)
    detail = api_for(cw.users.staff2).get(f"/api/v1/complaint-batches/{cw.batch.pk}").json()
    assert detail["statistics"]["total"] == 2 and detail["may_publish"] is False
    assert api_for(cw.users.other_office).get(f"/api/v1/complaint-batches/{cw.batch.pk}").status_code == 404
    assert ComplaintStatus.DONE == "done"
