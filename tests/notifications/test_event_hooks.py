"""Signed event webhooks, checked from the receiver's side: a real HTTP server on 127.0.0.1 verifies each
signature with the hook's secret the way a receiver would (not with the product's own helper)."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from zhenggai.accounts.models import Role
from zhenggai.core.actors import system_actor
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.events import event_record
from zhenggai.core.models import Event
from zhenggai.notifications.event_hooks import (
    active_rules,
    clear_rule_cache,
    verb_matches,
    webhook_verify,
)
from zhenggai.notifications.hook_services import (
    webhook_target_rotate_secret,
    webhook_target_save,
    webhook_target_send_test,
)
from zhenggai.notifications.models import WebhookDelivery, WebhookTarget
from zhenggai.notifications.webhooks import webhook_deliver
from zhenggai.rectification.transitions import task_start

from .conftest import Receiver, receiver_verifies

GENERIC = WebhookTarget.Format.GENERIC


@pytest.fixture(autouse=True)
def _fresh_hook_cache():
    clear_rule_cache()
    yield
    clear_rule_cache()  # rolled-back hooks must not linger in the process cache for later tests


def hook(world: Any, receiver: Receiver, *, org: Any = None, types: tuple[str, ...] = ("task.*",),
         actor: Any = None) -> WebhookTarget:
    target = webhook_target_save(actor=actor or world.users.admin, target=None, organization=org or world.office_org,
                                 name="区大数据平台", url=receiver.url, format=GENERIC, event_types=list(types))
    receiver.secret = target.secret
    return target


def test_a_real_transition_is_delivered_signed_and_verified_by_the_receiver(world, receiver,
                                                                              django_capture_on_commit_callbacks):
    target = hook(world, receiver)
    assert target.secret.startswith("whsec_") and len(target.secret) > 40

    with django_capture_on_commit_callbacks(execute=True):
        task_start(actor=world.users.staff, task=world.t_dept)

    assert len(receiver.received) == 1
    request = receiver.received[0]
    assert request["verified"] is True
    event = Event.objects.get(verb="task.start", object_id=str(world.t_dept.pk))
    delivery = WebhookDelivery.objects.get(target=target)
    headers = request["headers"]
    assert headers["X-Zhenggai-Event"] == "task.start"
    assert headers["X-Zhenggai-Delivery"] == str(delivery.pk)
    assert abs(int(headers["X-Zhenggai-Timestamp"]) - time.time()) < 60
    assert headers["Content-Type"].startswith("application/json")
    body = request["json"]
    assert body["id"] == event.pk and body["verb"] == "task.start" and body["test"] is False
    assert body["object"] == {"type": "task", "id": str(world.t_dept.pk), "repr": str(world.t_dept)}
    assert body["actor"] == event.actor_name
    assert body["time"].endswith("Z")
    assert dt.datetime.fromisoformat(body["time"].replace("Z", "+00:00")) == event.created_at
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.key) == ("sent", 1, 200,
                                                                                          f"event:{event.pk}")
    # the product's own helper agrees with the receiver
    assert webhook_verify(secret=target.secret, timestamp=headers["X-Zhenggai-Timestamp"], body=request["raw"],
                          signature=headers["X-Zhenggai-Signature"])


def test_a_wrong_secret_fails_verification(world, receiver, django_capture_on_commit_callbacks):
    target = hook(world, receiver)
    receiver.secret = "whsec_not-the-right-one"

    with django_capture_on_commit_callbacks(execute=True):
        task_start(actor=world.users.staff, task=world.t_dept)

    request = receiver.received[0]
    assert request["verified"] is False
    delivery = WebhookDelivery.objects.get(target=target)
    assert (delivery.status, delivery.response_code) == ("pending", 401)  # refused, so retried later
    assert receiver_verifies(target.secret, request["headers"], request["raw"])
    raw, stamp, sig = request["raw"], request["headers"]["X-Zhenggai-Timestamp"], request["headers"]["X-Zhenggai-Signature"]
    assert webhook_verify(secret=target.secret, timestamp=stamp, body=raw, signature=sig)
    assert not webhook_verify(secret="whsec_other", timestamp=stamp, body=raw, signature=sig)
    assert not webhook_verify(secret=target.secret, timestamp=stamp, body=raw.replace(b"task.start", b"task.close"),
                              signature=sig)
    assert not webhook_verify(secret=target.secret, timestamp=str(int(stamp) + 1), body=raw, signature=sig)
    assert not webhook_verify(secret=target.secret, timestamp=stamp, body=raw, signature=sig, now=int(stamp) + 301)


def test_retry_after_the_receiver_answers_500_then_succeeds(world, receiver, django_capture_on_commit_callbacks):
    target = hook(world, receiver)
    receiver.statuses = [500]
    start = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        task_start(actor=world.users.staff, task=world.t_dept)

    delivery = WebhookDelivery.objects.get(target=target)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at > start
    with time_machine.travel(start + dt.timedelta(minutes=2), tick=False):
        assert webhook_deliver(delivery.pk) == "sent"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.error) == ("sent", 2, 200, "")
    first, second = receiver.received
    assert first["verified"] and second["verified"]
    assert first["headers"]["X-Zhenggai-Delivery"] == second["headers"]["X-Zhenggai-Delivery"] == str(delivery.pk)
    assert int(second["headers"]["X-Zhenggai-Timestamp"]) - int(first["headers"]["X-Zhenggai-Timestamp"]) >= 100
    assert first["raw"] == second["raw"]  # the same body, signed afresh


def test_another_regions_events_are_not_delivered(world, receiver, django_capture_on_commit_callbacks):
    district = hook(world, receiver, types=("*",))
    county = world.users.other_office.organization
    county_admin = f.user("county_admin", organization=county, roles=[Role.ADMIN])
    other = webhook_target_save(actor=county_admin, target=None, organization=county, name="县平台",
                                url=receiver.url + "?county=1", format=GENERIC, event_types=["*"])
    receiver.secret = district.secret

    with django_capture_on_commit_callbacks(execute=True):
        task_start(actor=world.users.staff, task=world.t_dept)
    with django_capture_on_commit_callbacks(execute=True):
        task_start(actor=system_actor(), task=world.t_other)

    by_target = {t: [d.payload["object"]["id"] for d in WebhookDelivery.objects.filter(target=t)]
                 for t in (district, other)}
    assert by_target[district] == [str(world.t_dept.pk)]
    assert by_target[other] == [str(world.t_other.pk)]
    district_bodies = [r["json"]["object"]["id"] for r in receiver.received if "county" not in r["path"]]
    assert district_bodies == [str(world.t_dept.pk)]


def test_only_subscribed_verbs_and_active_hooks_receive(world, receiver, django_capture_on_commit_callbacks):
    closed_only = hook(world, receiver, types=("task.close",))
    disabled = hook(world, receiver, types=("*",))
    WebhookTarget.objects.filter(pk=disabled.pk).update(is_active=False)
    clear_rule_cache()

    with django_capture_on_commit_callbacks(execute=True):
        task_start(actor=world.users.staff, task=world.t_dept)

    assert not WebhookDelivery.objects.filter(target__in=[closed_only, disabled]).exists()
    assert receiver.received == []
    assert verb_matches("task.start", ["task.*"]) and verb_matches("complaint.handled", ["*"])
    assert not verb_matches("taskx.start", ["task.*"]) and not verb_matches("task.start", ["task.close"])


def test_confidential_fields_never_leave(world, receiver, django_capture_on_commit_callbacks):
    target = hook(world, receiver, types=("task.*", "complaint.*"))
    with django_capture_on_commit_callbacks(execute=True):
        event_record(actor=world.users.office, verb="task.noted", obj=world.t_dept, data={
            "complainant": {"name": "王小明", "contact": "13812345678"},
            "contact": "13812345678", "contact_name": "王小明", "id_number": "500228199001011234",
            "note": "群众来电 13812345678 反映", "nested": [{"phone": "023-12345678", "kept": "雨污分流"}],
        })

    raw = receiver.received[0]["raw"].decode("utf-8")
    assert receiver.received[0]["verified"]
    for secret_text in ("王小明", "13812345678", "500228199001011234", "023-12345678", "complainant", "contact"):
        assert secret_text not in raw
    data = receiver.received[0]["json"]["data"]
    assert data["note"] == "群众来电 138****5678 反映"
    assert data["nested"] == [{"kept": "雨污分流"}]
    assert WebhookDelivery.objects.get(target=target).status == "sent"


def test_no_query_when_no_hook_subscribes(world):
    active_rules()  # warm the cache: no hooks
    with CaptureQueriesContext(connection) as queries:
        event_record(actor=world.users.office, verb="task.noted", obj=world.t_dept, data={})
    assert not [q for q in queries.captured_queries if "webhook" in q["sql"].lower()]


def test_a_new_hook_is_seen_at_once_in_this_process(world, receiver, django_capture_on_commit_callbacks):
    assert active_rules() == ()
    target = hook(world, receiver)
    assert [rule.pk for rule in active_rules()] == [target.pk]


def test_managing_hooks_is_for_admins_of_the_region(world, receiver):
    with pytest.raises(PermissionDenied):
        hook(world, receiver, actor=world.users.office)
    with pytest.raises(ValidationFailed):
        webhook_target_save(actor=world.users.admin, target=None, organization=world.office_org, name="x",
                            url=receiver.url, format=GENERIC, event_types=[])
    with pytest.raises(ValidationFailed):
        webhook_target_save(actor=world.users.admin, target=None, organization=world.office_org, name="x",
                            url=receiver.url, format=GENERIC, event_types=["task.*", "DROP TABLE"])
    with pytest.raises(PermissionDenied):
        hook(world, receiver, org=world.users.other_office.organization)


def test_rotating_the_secret_and_the_test_event(world, receiver):
    target = hook(world, receiver)
    old = target.secret
    new = webhook_target_rotate_secret(actor=world.users.admin, target=target)
    assert new != old and new.startswith("whsec_")
    event = Event.objects.get(verb="webhook_target.secret_rotated")
    assert new not in json.dumps(event.data) and old not in json.dumps(event.data)

    assert webhook_target_send_test(actor=world.users.admin, target=target).status == "pending"  # old secret there
    receiver.secret = new
    assert webhook_target_send_test(actor=world.users.admin, target=target).status == "sent"
    assert receiver.received[-1]["json"]["verb"] == "webhook.test"
    assert receiver.received[-1]["headers"]["X-Zhenggai-Event"] == "webhook.test"


def test_staff_pages(world, client, receiver):
    client.force_login(world.users.admin)
    form_page = client.get(reverse("webhook_create")).content.decode()
    assert 'name="event_types"' in form_page and world.office_org.name in form_page
    assert world.users.other_office.organization.name not in form_page  # only units of the admin's region
    response = client.post(reverse("webhook_create"), {
        "organization": world.office_org.pk, "name": "区大数据平台", "format": GENERIC, "url": receiver.url,
        "event_types": "task.*\ncomplaint.*", "is_active": "on",
    })
    target = WebhookTarget.objects.get(name="区大数据平台")
    assert response.status_code == 302 and response["Location"] == reverse("webhook_detail", args=[target.pk])
    assert target.event_types == ["task.*", "complaint.*"] and target.secret.startswith("whsec_")

    receiver.secret = target.secret
    client.post(reverse("webhook_test", args=[target.pk]))
    page = client.get(reverse("webhook_detail", args=[target.pk]))
    html = page.content.decode()
    assert target.secret in html and "webhook.test" in html and "已发送" in html
    assert page["Cache-Control"] == "no-store"
    assert "区大数据平台" in client.get(reverse("webhook_list")).content.decode()

    edit_page = client.get(reverse("webhook_edit", args=[target.pk])).content.decode()
    assert "task.*\ncomplaint.*" in edit_page and target.secret not in edit_page
    client.post(reverse("webhook_toggle", args=[target.pk]), {"active": "0"})
    target.refresh_from_db()
    assert target.is_active is False
    client.post(reverse("webhook_rotate", args=[target.pk]))
    assert WebhookTarget.objects.get(pk=target.pk).secret != target.secret

    for user in (world.users.office, world.users.staff):
        client.force_login(user)
        assert client.get(reverse("webhook_list")).status_code == 403
    client.force_login(world.users.admin)
    other = WebhookTarget.objects.create(organization=world.users.other_office.organization, name="县", format=GENERIC,
                                         url=receiver.url, event_types=["*"], secret="s")
    assert client.get(reverse("webhook_detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("webhook_detail", args=[999999])).status_code == 404
    assert client.post(reverse("webhook_rotate", args=[other.pk])).status_code == 404
