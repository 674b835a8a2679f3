"""Writes to organizations, users and roles: `admin` of the region (or a superuser)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.events import event_record
from zhenggai.core.services import record_save

from .models import Organization, Role, User, UserRole
from .policies import MANAGE, user_can

ORG_FIELDS = ["name", "short_name", "kind", "parent", "region", "sort_order", "is_active"]
USER_FIELDS = ["username", "first_name", "last_name", "email", "organization", "phone", "title", "is_active"]


def organization_save(*, actor: Any, organization: Organization) -> Organization:
    if not user_can(actor, MANAGE, organization):
        raise PermissionDenied()
    if organization.parent_id and organization.pk and f"/{organization.pk}/" in organization.parent.path:  # type: ignore[union-attr]
        raise ValidationFailed(_("上级单位不能是本单位或其下级单位。"), field="parent")
    return record_save(actor=actor, obj=organization, fields=ORG_FIELDS, verb="organization")


def user_save(
    *, actor: Any, user: User, roles: Iterable[str], password: str | None = None
) -> User:
    """Create or update a user with exactly `roles`. A new user without a password cannot sign in
    until one is set."""
    if not user_can(actor, MANAGE, user):
        raise PermissionDenied()
    wanted = sorted(set(roles))
    unknown = set(wanted) - set(Role.values)
    if unknown:
        raise ValidationFailed(_("未知角色：%(r)s") % {"r": "、".join(sorted(unknown))}, field="roles")
    with transaction.atomic():
        if password:
            user.set_password(password)
        elif user.pk is None:
            user.set_unusable_password()
        user = record_save(actor=actor, obj=user, fields=USER_FIELDS, verb="user")
        current = set(user.roles.values_list("role", flat=True))
        if current != set(wanted):
            user.roles.exclude(role__in=wanted).delete()
            UserRole.objects.bulk_create([UserRole(user=user, role=r) for r in wanted if r not in current])
            user.forget_roles()
            event_record(actor=actor, verb="user.roles_changed", obj=user, data={"roles": [sorted(current), wanted]})
    return user
