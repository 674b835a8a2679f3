"""Managing webhooks (group robots and signed event hooks) from the staff site, the API and the Django admin.

Who: superusers manage every hook; a user with the `admin` role manages the hooks of the organizations
in their region (and below). Nobody else sees hooks; a hook outside the user's region is as missing as a
deleted one (NotFound). Every change is an event on the hook (`webhook_target.*`); a secret never enters
the audit log, only a short fingerprint of it.

Event hooks (`generic`) get a random secret when created; `webhook_target_rotate_secret` replaces it
(the old one stops working at once, so the receiver must be updated). A group robot's secret is the one
DingTalk shows for its 加签 setting, typed by the admin.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Role
from zhenggai.accounts.policies import user_has_role, user_region
from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import event_record

from .event_hooks import new_secret, secret_fingerprint, valid_pattern
from .models import WebhookDelivery, WebhookTarget
from .webhooks import webhook_send_test

GENERIC = WebhookTarget.Format.GENERIC
URL_MAX = 500
NAME_MAX = 100
FIELDS = ("organization", "name", "url", "format", "event_types", "is_active")


def webhook_admin_prefix(user: Any) -> str | None:
    """"" for superusers (every hook), the region path for `admin` users, None for everyone else."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return ""
    if user_has_role(user, Role.ADMIN):
        region = user_region(user)
        return region.path if region is not None else None
    return None


def webhook_may_manage(user: Any, organization: Organization | None = None) -> bool:
    """May `user` manage hooks at all (organization None) or those of `organization`?"""
    prefix = webhook_admin_prefix(user)
    if prefix is None:
        return False
    return organization is None or organization.region.path.startswith(prefix)


def webhook_targets_for_admin(*, user: Any) -> QuerySet[WebhookTarget]:
    """The hooks `user` manages, by organization and name."""
    prefix = webhook_admin_prefix(user)
    targets = WebhookTarget.objects.select_related("organization__region").order_by("organization__path", "name", "pk")
    if prefix is None:
        return targets.none()
    return targets.filter(organization__region__path__startswith=prefix) if prefix else targets


def webhook_target_get_for_admin(*, user: Any, pk: int) -> WebhookTarget:
    """One hook `user` manages; NotFound for hidden and missing hooks alike."""
    try:
        return webhook_targets_for_admin(user=user).get(pk=pk)
    except WebhookTarget.DoesNotExist as exc:
        raise NotFound() from exc


def webhook_deliveries_for_target(*, target: WebhookTarget) -> QuerySet[WebhookDelivery]:
    """The delivery log of one hook, newest first."""
    return WebhookDelivery.objects.filter(target=target).order_by("-created_at", "-pk")


def webhook_organizations_for_admin(*, user: Any) -> QuerySet[Organization]:
    prefix = webhook_admin_prefix(user)
    organizations = Organization.objects.filter(is_active=True).order_by("path")
    if prefix is None:
        return organizations.none()
    return organizations.filter(region__path__startswith=prefix) if prefix else organizations


def _validate(*, fmt: str, url: str, event_types: list[str]) -> None:
    if fmt not in WebhookTarget.Format.values:
        raise ValidationFailed(_("未知的推送格式。"), field="format")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError as exc:
        raise ValidationFailed(_("请填写以 http:// 或 https:// 开头的有效地址。"), field="url") from exc
    if len(url) > URL_MAX:
        raise ValidationFailed(_("地址过长。"), field="url")
    bad = [p for p in event_types if not valid_pattern(p)]
    if bad:
        raise ValidationFailed(_("无法识别的事件类型：%(p)s") % {"p": "、".join(bad)}, field="event_types")
    if fmt == GENERIC and not event_types:
        raise ValidationFailed(_("请至少填写一个事件类型，例如 task.* 或 *。"), field="event_types")


def webhook_target_save(*, actor: Any, target: WebhookTarget | None, organization: Organization, name: str,
                        url: str, format: str, event_types: list[str], is_active: bool = True,
                        robot_secret: str | None = None) -> WebhookTarget:
    """Create (`target` None) or change a hook. An event hook gets a new random secret when created (or
    when an existing robot becomes an event hook); `robot_secret` sets a robot's DingTalk secret (None
    keeps it). Event types are kept for event hooks only. Records `webhook_target.created/updated`."""
    if not webhook_may_manage(actor, organization) or (target is not None and not webhook_may_manage(
            actor, target.organization)):
        raise PermissionDenied()
    types = list(dict.fromkeys(t.strip() for t in event_types if t.strip())) if format == GENERIC else []
    _validate(fmt=format, url=url.strip(), event_types=types)
    if not name.strip() or len(name.strip()) > NAME_MAX:
        raise ValidationFailed(_("请填写名称（不超过 100 字）。"), field="name")
    if robot_secret is not None and len(robot_secret.strip()) > 200:
        raise ValidationFailed(_("密钥过长。"), field="robot_secret")
    with transaction.atomic():
        creating = target is None
        obj = WebhookTarget() if target is None else WebhookTarget.objects.select_for_update().get(pk=target.pk)
        before = {f: _value(obj, f) for f in FIELDS} if not creating else {}
        old_secret = obj.secret
        obj.organization, obj.name, obj.url, obj.format = organization, name.strip(), url.strip(), format
        obj.event_types, obj.is_active = types, is_active
        if format == GENERIC:
            if creating or before.get("format") != GENERIC or not obj.secret:
                obj.secret = new_secret()
        elif robot_secret is not None:
            obj.secret = robot_secret.strip()
        elif before.get("format") == GENERIC:
            obj.secret = ""  # an event hook's generated secret means nothing to a robot
        obj.save()
        after = {f: _value(obj, f) for f in FIELDS}
        changes: dict[str, Any] = {f: [before.get(f), after[f]] for f in FIELDS if before.get(f) != after[f]}
        if obj.secret != old_secret:
            changes["secret"] = secret_fingerprint(obj.secret) if obj.secret else ""
        event_record(actor=actor, verb="webhook_target.created" if creating else "webhook_target.updated",
                     obj=obj, data={"changes": changes})
    return obj


def webhook_target_set_active(*, actor: Any, target: WebhookTarget, active: bool) -> WebhookTarget:
    """Enable or disable a hook. A disabled hook gets no new deliveries and its pending ones wait."""
    if not webhook_may_manage(actor, target.organization):
        raise NotFound()
    with transaction.atomic():
        locked = WebhookTarget.objects.select_for_update().get(pk=target.pk)
        if locked.is_active != active:
            locked.is_active = active
            locked.save(update_fields=["is_active"])
            event_record(actor=actor, verb="webhook_target.enabled" if active else "webhook_target.disabled",
                         obj=locked, data={})
    return locked


def webhook_target_rotate_secret(*, actor: Any, target: WebhookTarget) -> str:
    """Give an event hook a new secret and return it; deliveries from now on are signed with it."""
    if not webhook_may_manage(actor, target.organization):
        raise NotFound()
    if target.format != GENERIC:
        raise ValidationFailed(_("只有通用事件推送的密钥由系统生成。"))
    with transaction.atomic():
        locked = WebhookTarget.objects.select_for_update().get(pk=target.pk)
        locked.secret = new_secret()
        locked.save(update_fields=["secret"])
        event_record(actor=actor, verb="webhook_target.secret_rotated", obj=locked,
                     data={"secret": secret_fingerprint(locked.secret)})
    return locked.secret


def webhook_target_send_test(*, actor: Any, target: WebhookTarget, deliver_now: bool = True) -> WebhookDelivery:
    """Post a test message (robots) or the test event `webhook.test` (event hooks). With `deliver_now` the
    first attempt is made here and the delivery comes back with its outcome; otherwise it is queued.
    A failure is retried like any delivery."""
    if not webhook_may_manage(actor, target.organization):
        raise NotFound()
    return webhook_send_test(target=target, actor_name=actor.get_full_name() or actor.get_username(),
                             deliver_now=deliver_now)


def _value(obj: WebhookTarget, field: str) -> Any:
    if field == "organization":
        return obj.organization_id
    return getattr(obj, field)
