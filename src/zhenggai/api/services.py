"""Personal API tokens: creation (the secret is returned once), revocation and authentication.

Rules:
- A token belongs to one user and acts with that user's roles and scope, exactly as the user's session.
- Only the SHA-256 of the secret is stored; a lost secret cannot be shown again (create a new token).
- Only the owner (or the system actor, for commands) creates and revokes a user's tokens.
- A revoked or expired token never authenticates again.
Every creation and revocation writes an event on the user's chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.policies import is_system_actor
from zhenggai.core.errors import DomainError, PermissionDenied, ValidationFailed
from zhenggai.core.events import event_record

from .models import ApiToken

SECRET_PREFIX = "zg_"
PREFIX_LENGTH = 10
MAX_EXPIRES_DAYS = 3650
# Writing last_used_at on every request would make every call a write; once a minute is enough.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenRefused(DomainError):
    """The presented token is unknown, expired or revoked (answered 401)."""

    code = "token_invalid"


class TokenExpired(TokenRefused):
    code = "token_expired"


class TokenRevoked(TokenRefused):
    code = "token_revoked"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def api_token_create(*, user: Any, name: str, expires_days: int | None = None,
                     actor: Any = None) -> tuple[ApiToken, str]:
    """Create a token for `user` and return it with its secret — the only time the secret exists in
    clear. `actor` defaults to the user; only the user or the system actor may create it."""
    actor = actor or user
    if not (actor.pk == user.pk or is_system_actor(actor)):
        raise PermissionDenied()
    if not getattr(user, "is_active", False):
        raise ValidationFailed(_("停用的用户不能创建接口令牌。"), field="user")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("请填写令牌名称。"), field="name")
    if len(name) > 100:
        raise ValidationFailed(_("令牌名称不能超过 100 个字符。"), field="name")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ValidationFailed(
            _("有效期应在 1 至 %(max)s 天之间。") % {"max": MAX_EXPIRES_DAYS}, field="expires_days"
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:PREFIX_LENGTH], secret_hash=secret_hash(secret), created_at=now,
            expires_at=now + dt.timedelta(days=expires_days) if expires_days else None,
        )
        event_record(actor=actor, verb="api_token.created", obj=user,
                     data={"token": token.pk, "name": name, "prefix": token.prefix, "expires_at": token.expires_at})
    return token, secret


def api_token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token at once. Only its owner (or the system actor) may; revoking twice changes nothing."""
    if not (actor.pk == token.user_id or is_system_actor(actor)):
        raise PermissionDenied()
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            event_record(actor=actor, verb="api_token.revoked", obj=locked.user,
                         data={"token": locked.pk, "name": locked.name, "prefix": locked.prefix})
    token.revoked_at = locked.revoked_at
    return locked


def api_token_authenticate(secret: str) -> ApiToken:
    """The active token with this secret (its user loaded), or TokenRefused / TokenExpired /
    TokenRevoked. Records the time of use (at most once a minute)."""
    if not secret or len(secret) > 200:
        raise TokenRefused(_("接口令牌无效。"))
    token = ApiToken.objects.select_related("user", "user__organization").filter(
        secret_hash=secret_hash(secret)).first()
    if token is None or not token.user.is_active:
        raise TokenRefused(_("接口令牌无效。"))
    if token.revoked_at is not None:
        raise TokenRevoked(_("接口令牌已被吊销。"))
    now = timezone.now()
    if token.is_expired(now):
        raise TokenExpired(_("接口令牌已过期。"))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_for_user(user: Any) -> list[ApiToken]:
    """The user's own tokens, newest first (never anyone else's)."""
    return list(ApiToken.objects.filter(user=user).order_by("-created_at", "-id"))
