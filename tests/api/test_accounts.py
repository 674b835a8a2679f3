"""Organizations, users and own API tokens through the API: the same scope and roles as the pages."""

from __future__ import annotations

import pytest

from zhenggai.accounts.models import Organization, Role, User
from zhenggai.api.models import ApiToken
from zhenggai.core.models import Event

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_organizations_are_listed_and_filtered_like_the_page(world, api):
    rows = api.staff.get("/api/v1/organizations", {"page_size": 100}).json()
    names = [r["name"] for r in rows["items"]]
    assert "区住房城乡建委" in names and "垫江县督察整改办" in names  # the directory of the whole city tree
    towns = api.staff.get("/api/v1/organizations", {"kind": "township"}).json()["items"]
    assert [t["name"] for t in towns] == ["双桂街道"]
    found = api.staff.get("/api/v1/organizations", {"q": "住建委"}).json()["items"]
    assert [(f["id"], f["user_count"]) for f in found] == [(world.dept.pk, 2)]
    detail = api.staff.get(f"/api/v1/organizations/{world.town.pk}").json()
    assert [c["id"] for c in detail["children"]] == [world.town_sub.pk]
    assert detail["can_manage"] is False
    assert api.office.get(f"/api/v1/organizations/{world.dept.pk}").json()["task_count"] == 2
    assert api.staff.get("/api/v1/organizations/999999").status_code == 404


def test_admin_creates_and_edits_units_of_its_region_only(world, api):
    body = {"name": "区水利局", "kind": "department", "region": world.district.pk, "parent": world.gov.pk}
    assert api.staff.post("/api/v1/organizations", body).status_code == 403
    assert api.leader.post("/api/v1/organizations", body).status_code == 403
    created = api.admin.post("/api/v1/organizations", body)
    assert created.status_code == 201, created.content
    org = Organization.objects.get(pk=created.json()["id"])
    assert org.parent == world.gov and org.path.startswith(world.gov.path)
    assert Event.objects.filter(verb="organization.created", object_id=str(org.pk)).exists()
    elsewhere = api.admin.post("/api/v1/organizations", {**body, "region": world.other_district.pk, "parent": None})
    assert elsewhere.status_code == 403
    patched = api.admin.patch(f"/api/v1/organizations/{org.pk}", {"short_name": "水利局", "sort_order": 3})
    assert patched.status_code == 200 and patched.json()["short_name"] == "水利局"
    assert api.admin.patch(f"/api/v1/organizations/{org.pk}", {"parent": org.pk}).json()["field"] == "parent"
    assert api.other_office.patch(f"/api/v1/organizations/{org.pk}", {"name": "x"}).status_code == 403
    assert api.staff.patch(f"/api/v1/organizations/{org.pk}", {"name": "x"}).status_code == 403
    org.refresh_from_db()
    assert (org.name, org.short_name, org.sort_order) == ("区水利局", "水利局", 3)


def test_only_the_admin_manages_users_of_its_region(world, api):
    for role in ("office", "staff", "leader"):
        assert getattr(api, role).get("/api/v1/users").status_code == 403
    listed = api.admin.get("/api/v1/users", {"page_size": 100}).json()
    names = {u["username"] for u in listed["items"]}
    assert "staff" in names and "other_office" not in names and "system" not in names
    heads = api.admin.get("/api/v1/users", {"role": "unit_head"}).json()["items"]
    assert {u["username"] for u in heads} == {"head", "head2", "unrelated"}
    assert api.admin.get(f"/api/v1/users/{world.users.other_office.pk}").status_code == 404

    body = {"username": "newbie", "last_name": "王", "first_name": "五", "organization": world.town.pk,
            "roles": ["unit_staff"]}
    elsewhere = {**body, "organization": world.users.other_office.organization_id}
    assert api.admin.post("/api/v1/users", elsewhere).status_code == 403  # user_save: not of the admin's region
    assert api.admin.post("/api/v1/users", {**body, "organization": 999999}).json()["field"] == "organization"
    assert api.admin.post("/api/v1/users", {**body, "username": "staff"}).json()["field"] == "username"
    weak = api.admin.post("/api/v1/users", {**body, "password": "123"})
    assert weak.status_code == 422 and weak.json()["field"] == "password"
    created = api.admin.post("/api/v1/users", body)
    assert created.status_code == 201, created.content
    user = User.objects.get(username="newbie")
    assert user.role_codes == {Role.UNIT_STAFF} and not user.has_usable_password()
    patched = api.admin.patch(f"/api/v1/users/{user.pk}", {"roles": ["unit_staff", "unit_head"],
                                                            "password": "a-long-pass-2025"})
    assert patched.status_code == 200 and patched.json()["roles"] == ["unit_head", "unit_staff"]
    user = User.objects.get(pk=user.pk)
    assert user.role_codes == {Role.UNIT_STAFF, Role.UNIT_HEAD} and user.check_password("a-long-pass-2025")
    assert Event.objects.filter(verb="user.roles_changed", object_id=str(user.pk)).exists()
    assert api.staff.patch(f"/api/v1/users/{user.pk}", {"title": "x"}).status_code == 403


def test_tokens_are_the_callers_own(world, api):
    created = api.staff.post("/api/v1/account/tokens", {"name": "对接", "expires_days": 30})
    assert created.status_code == 201 and created["Cache-Control"] == "no-store"
    secret, token_id = created.json()["secret"], created.json()["id"]
    assert ApiClient(secret).get("/api/v1/tasks").status_code == 200
    listed = api.staff.get("/api/v1/account/tokens").json()["items"]
    assert token_id in [t["id"] for t in listed] and all("secret" not in t for t in listed)
    assert token_id not in [t["id"] for t in api.head.get("/api/v1/account/tokens").json()["items"]]
    assert api.head.post(f"/api/v1/account/tokens/{token_id}/revoke").status_code == 404
    revoked = api.staff.post(f"/api/v1/account/tokens/{token_id}/revoke")
    assert revoked.status_code == 200 and revoked.json()["active"] is False
    assert ApiToken.objects.get(pk=token_id).revoked_at is not None
    assert ApiClient(secret).get("/api/v1/tasks").status_code == 401
    assert api.staff.post("/api/v1/account/tokens", {"name": "x", "expires_days": 0}).status_code == 422


def test_lists_take_a_fixed_number_of_queries(world, api, django_assert_max_num_queries):
    from tests import factories as f

    admin, staff = api.admin, api.staff  # tokens made before counting
    for n in range(15):
        f.user(f"extra{n}", organization=world.town, roles=[Role.UNIT_STAFF, Role.UNIT_HEAD])
    with django_assert_max_num_queries(8):
        users = admin.get("/api/v1/users", {"page_size": 100}).json()
    assert users["count"] >= 25 and all(u["roles"] for u in users["items"])
    with django_assert_max_num_queries(8):
        assert staff.get("/api/v1/organizations", {"page_size": 100}).json()["count"] == 8  # every unit of the city tree
