from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tests import factories as f
from zhenggai.accounts.models import Organization, Role
from zhenggai.core.models import Event
from zhenggai.notifications.admin import NotificationAdmin, WebhookDeliveryAdmin, WebhookTargetAdmin
from zhenggai.notifications.event_hooks import secret_fingerprint
from zhenggai.notifications.models import Notification, WebhookDelivery, WebhookTarget


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.fixture
def robots(world):
    other_org = Organization.objects.get(name="垫江县督察整改办")
    here = WebhookTarget.objects.create(organization=world.dept, name="住建委群", url="https://qyapi.weixin.qq.com/a",
                                        format="wecom")
    there = WebhookTarget.objects.create(organization=other_org, name="垫江群", url="https://qyapi.weixin.qq.com/b",
                                         format="wecom")
    return here, there


def test_region_admin_manages_only_the_robots_of_the_region(world, robots):
    here, there = robots
    model_admin = WebhookTargetAdmin(WebhookTarget, admin.site)
    request = _request(world.users.admin)

    assert model_admin.has_module_permission(request)
    assert list(model_admin.get_queryset(request)) == [here]
    assert model_admin.has_change_permission(request, here)
    assert not model_admin.has_change_permission(request, there)
    choices = model_admin.formfield_for_foreignkey(WebhookTarget._meta.get_field("organization"), request).queryset
    assert world.dept in choices and world.town in choices
    assert not choices.filter(name="垫江县督察整改办").exists()


@pytest.mark.parametrize("role", ["office", "staff", "leader"])
def test_other_roles_have_no_robot_admin(world, robots, role):
    model_admin = WebhookTargetAdmin(WebhookTarget, admin.site)
    request = _request(getattr(world.users, role))
    assert not model_admin.has_module_permission(request)
    assert not model_admin.has_view_permission(request, robots[0])
    assert not model_admin.get_queryset(request).exists()


def test_superuser_sees_every_robot(world, robots):
    root = f.user("root", organization=None, superuser=True)
    model_admin = WebhookTargetAdmin(WebhookTarget, admin.site)
    assert set(model_admin.get_queryset(_request(root))) == set(robots)


def test_saving_a_robot_records_an_event_without_the_secret(world):
    model_admin = WebhookTargetAdmin(WebhookTarget, admin.site)
    request = _request(world.users.admin)
    form_class = model_admin.get_form(request)
    form = form_class(data={"organization": world.dept.pk, "name": "住建委群", "format": "dingtalk",
                            "url": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SECabc",
                            "is_active": "on"})
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=False)

    event = Event.objects.get(verb="webhook_target.created")
    assert event.actor_id == world.users.admin.pk
    assert event.data["changes"]["secret"] == secret_fingerprint("SECabc")  # never the secret itself
    assert "SECabc" not in str(event.data)


def test_an_event_hook_made_in_the_admin_gets_a_generated_secret(world):
    model_admin = WebhookTargetAdmin(WebhookTarget, admin.site)
    request = _request(world.users.admin)
    form_class = model_admin.get_form(request)
    base = {"organization": world.dept.pk, "name": "数据平台", "format": "generic",
            "url": "https://data.example.cn/hooks", "is_active": "on"}
    assert "event_types" in form_class(data=base).errors  # an event hook needs its event types
    form = form_class(data={**base, "event_types": "task.*, complaint.handled"})
    assert form.is_valid(), form.errors
    obj = form.save(commit=False)
    model_admin.save_model(request, obj, form, change=False)

    saved = WebhookTarget.objects.get(name="数据平台")
    assert saved.event_types == ["task.*", "complaint.handled"]
    assert saved.secret.startswith("whsec_") and obj.pk == saved.pk
    assert saved.secret not in str(Event.objects.get(verb="webhook_target.created").data)


def test_delivery_log_is_read_only_and_scoped(world, robots):
    here, there = robots
    mine = WebhookDelivery.objects.create(target=here, key="k", payload={})
    WebhookDelivery.objects.create(target=there, key="k", payload={})
    model_admin = WebhookDeliveryAdmin(WebhookDelivery, admin.site)
    request = _request(world.users.admin)

    assert list(model_admin.get_queryset(request)) == [mine]
    assert model_admin.has_view_permission(request, mine)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, mine)
    assert not model_admin.has_delete_permission(request, mine)


def test_messages_are_visible_to_superusers_only(world):
    root = f.user("root", organization=None, superuser=True)
    model_admin = NotificationAdmin(Notification, admin.site)
    assert model_admin.has_view_permission(_request(root))
    assert not model_admin.has_change_permission(_request(root))
    region_admin = f.user("admin2", organization=world.office_org, roles=[Role.ADMIN])
    assert not model_admin.has_module_permission(_request(region_admin))


def test_admin_pages_render_for_a_superuser(world, robots, client):
    root = f.user("root", organization=None, superuser=True)
    WebhookDelivery.objects.create(target=robots[0], key="k", payload={})
    client.force_login(root)
    for url in ["/admin/notifications/webhooktarget/", "/admin/notifications/webhooktarget/add/",
                f"/admin/notifications/webhooktarget/{robots[0].pk}/change/",
                "/admin/notifications/webhookdelivery/", "/admin/notifications/notification/"]:
        assert client.get(url).status_code == 200, url
