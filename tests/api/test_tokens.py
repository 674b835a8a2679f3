"""Personal API tokens: created and shown once, stored hashed, expiry and revocation (401), the staff page
and the `create-token` command."""

from __future__ import annotations

import datetime as dt
import hashlib
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from zhenggai.api.models import ApiToken
from zhenggai.api.services import api_token_create, api_token_revoke
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.models import Event

from .conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_token_is_stored_hashed_and_authenticates(world):
    token, secret = api_token_create(user=world.users.staff, name="对接")
    row = ApiToken.objects.get(pk=token.pk)
    assert secret not in {row.secret_hash, row.prefix, row.name}
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret.startswith(row.prefix) and len(row.prefix) < len(secret) // 3
    assert Event.objects.filter(verb="api_token.created", object_id=str(world.users.staff.pk)).count() == 1
    response = ApiClient(secret).get("/api/v1/tasks")
    assert response.status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_unknown_token_answers_401_in_the_error_format(world):
    response = ApiClient("zg_not-a-token").get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.json() == {"code": "token_invalid", "message": "接口令牌无效。", "field": None}
    assert response["WWW-Authenticate"].startswith("Bearer")
    anonymous = ApiClient(None).get("/api/v1/tasks")
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthenticated"


def test_expired_token_answers_401(world):
    with time_machine.travel(dt.datetime(2025, 1, 1, 8, tzinfo=dt.UTC), tick=False):
        _token, secret = api_token_create(user=world.users.staff, name="短期", expires_days=1)
        assert ApiClient(secret).get("/api/v1/tasks").status_code == 200
    with time_machine.travel(dt.datetime(2025, 1, 2, 8, 0, 1, tzinfo=dt.UTC), tick=False):
        response = ApiClient(secret).get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.json()["code"] == "token_expired"


def test_revoked_token_answers_401_and_only_the_owner_may_revoke(world):
    token, secret = api_token_create(user=world.users.staff, name="对接")
    with pytest.raises(PermissionDenied):
        api_token_revoke(actor=world.users.office, token=token)
    assert ApiClient(secret).get("/api/v1/tasks").status_code == 200
    api_token_revoke(actor=world.users.staff, token=token)
    api_token_revoke(actor=world.users.staff, token=token)  # twice: one event
    assert Event.objects.filter(verb="api_token.revoked").count() == 1
    response = ApiClient(secret).get("/api/v1/tasks")
    assert response.status_code == 401 and response.json()["code"] == "token_revoked"


def test_token_input_is_checked(world):
    with pytest.raises(ValidationFailed):
        api_token_create(user=world.users.staff, name="  ")
    with pytest.raises(ValidationFailed):
        api_token_create(user=world.users.staff, name="x", expires_days=0)
    with pytest.raises(PermissionDenied):
        api_token_create(user=world.users.staff, name="x", actor=world.users.office)


def test_page_shows_the_secret_once_and_revokes(world, client):
    client.force_login(world.users.staff)
    url = reverse("api_tokens")
    response = client.post(url, {"name": "市级调度系统", "expires_days": "30"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret and secret in response.content.decode()
    token = ApiToken.objects.get(user=world.users.staff)
    assert token.expires_at is not None
    again = client.get(url).content.decode()
    assert secret not in again and token.prefix in again and "市级调度系统" in again
    # another user neither sees nor revokes it
    client.force_login(world.users.head)
    assert "市级调度系统" not in client.get(url).content.decode()
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    client.force_login(world.users.staff)
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert ApiClient(secret).get("/api/v1/tasks").status_code == 401


def test_create_token_command_prints_the_secret_once(world):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "head", "--expires", "7", "--name", "脚本", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(user=world.users.head)
    assert token.name == "脚本" and token.expires_at is not None
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in err.getvalue()
    assert ApiClient(secret).get("/api/v1/tasks").status_code == 200
