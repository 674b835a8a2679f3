"""Cross-cutting behaviour of the API: session auth with CSRF, the error format, idempotent retries and
the rate limit."""

from __future__ import annotations

import pytest
from django.test import Client

from zhenggai.api.models import IdempotencyRecord
from zhenggai.core.models import Event
from zhenggai.rectification.models import Task
from zhenggai.rectification.workflow import TaskStatus

from .conftest import ApiClient, token_for

pytestmark = pytest.mark.django_db


def _csrf_client(user) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/account/tokens/")  # any page sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


def test_session_reads_work_and_session_writes_need_csrf(world):
    client, csrf = _csrf_client(world.users.staff)
    assert client.get("/api/v1/tasks").status_code == 200
    url = f"/api/v1/tasks/{world.t_dept.pk}/start"
    refused = client.post(url, {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert Task.objects.get(pk=world.t_dept.pk).status == TaskStatus.NOT_STARTED
    done = client.post(url, {}, content_type="application/json", headers={"X-CSRFToken": csrf})
    assert done.status_code == 200, done.content
    assert Task.objects.get(pk=world.t_dept.pk).status == TaskStatus.IN_PROGRESS


def test_token_writes_need_no_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/api/v1/tasks/{world.t_dept.pk}/start", {}, content_type="application/json",
                           headers={"Authorization": f"Bearer {token_for(world.users.staff)}"})
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"


def test_invalid_input_answers_422_with_the_field(world, api):
    response = api.office.post("/api/v1/tasks", {"plan": world.plan.pk, "number": "x", "title": "t",
                                                  "implementing_units": [world.dept.pk], "deadline": "2025年12月底"})
    assert response.status_code == 422
    assert response.json() == {"code": "invalid", "message": "“number”应为整数。", "field": "number"}
    english = api.office.post("/api/v1/tasks", {"plan": world.plan.pk}, **{"Accept-Language": "en"})
    assert english.status_code == 422 and english.json()["field"] in {"number", "title", "implementing_units",
                                                                      "deadline"}
    bad_id = api.office.get("/api/v1/tasks/99999999999")
    assert bad_id.status_code == 422 and bad_id.json()["field"] == "task_id"


def test_unknown_api_path_answers_in_the_error_format(world, api):
    response = api.office.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_idempotent_retry_acts_once(world, api):
    url = f"/api/v1/tasks/{world.t_dept.pk}/start"
    first = api.staff.post(url, {"note": "开工"}, **{"Idempotency-Key": "start-1"})
    second = api.staff.post(url, {"note": "开工"}, **{"Idempotency-Key": "start-1"})
    assert first.status_code == second.status_code == 200
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(verb="task.start", object_id=str(world.t_dept.pk)).count() == 1
    # without the key the retry is a new request, refused because the task already started
    third = api.staff.post(url, {"note": "开工"})
    assert third.status_code == 409 and third.json()["code"] == "transition_refused"
    # the same key with another body is refused
    other = api.staff.post(url, {"note": "另一个"}, **{"Idempotency-Key": "start-1"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # keys belong to a user: the same key from another user is that user's own request
    head = api.head.post(url, {"note": "开工"}, **{"Idempotency-Key": "start-1"})
    assert head.status_code == 409
    assert IdempotencyRecord.objects.filter(key="start-1").count() == 2


def test_refusals_before_the_action_are_not_stored(world, api):
    url = f"/api/v1/tasks/{world.t_dept.pk}/start"
    anonymous = ApiClient(None).post(url, {}, **{"Idempotency-Key": "k"})
    assert anonymous.status_code == 401
    assert not IdempotencyRecord.objects.exists()


def test_rate_limit_answers_429_with_retry_after(world, api, settings):
    import datetime as dt

    import time_machine

    settings.ZHENGGAI_API_RATE_PER_MIN = 3
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 0, 15, tzinfo=dt.UTC), tick=False):
        codes = [api.staff.get("/api/v1/tasks").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = api.staff.get("/api/v1/tasks")
        assert limited.json()["code"] == "rate_limited"
        assert limited["Retry-After"] == "45"  # to the next minute
        # another token has its own budget
        assert api.head.get("/api/v1/tasks").status_code == 200
    with time_machine.travel(dt.datetime(2025, 3, 3, 9, 1, 0, tzinfo=dt.UTC), tick=False):
        assert api.staff.get("/api/v1/tasks").status_code == 200  # a new minute, a new budget


def test_health_needs_no_authentication(db):
    response = Client().get("/api/v1/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_stored_answers_expire_after_a_day(world, api):
    import datetime as dt

    from django.utils import timezone

    from zhenggai.api.idempotency import idempotency_purge

    url = f"/api/v1/tasks/{world.t_dept.pk}/start"
    assert api.staff.post(url, {}, **{"Idempotency-Key": "k1"}).status_code == 200
    assert idempotency_purge() == 0
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    # an expired key is a new request: acted on again (here refused, as the task has started)
    assert api.staff.post(url, {}, **{"Idempotency-Key": "k1"}).status_code == 409
    IdempotencyRecord.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    assert idempotency_purge() == 1
    assert not IdempotencyRecord.objects.exists()


def test_a_retry_while_the_first_request_runs_answers_409(world, api):
    import hashlib
    import json

    url = f"/api/v1/tasks/{world.t_dept.pk}/start"
    body = {"note": "开工"}
    raw = json.dumps(body).encode()  # as the test client encodes it
    IdempotencyRecord.objects.create(user=world.users.staff, key="busy", method="POST", path=url,
                                     body_hash=hashlib.sha256(raw).hexdigest(), status=0)
    response = api.staff.post(url, body, **{"Idempotency-Key": "busy"})
    assert response.status_code == 409 and response.json()["code"] == "idempotency_in_progress"
    assert Task.objects.get(pk=world.t_dept.pk).status == TaskStatus.NOT_STARTED
