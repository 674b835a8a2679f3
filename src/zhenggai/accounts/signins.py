"""Every sign-in, failure and sign-out is written to `SignInRecord`, with the IP address and browser.

Receivers of Django's auth signals (django-axes listens to the same signals for throttling), so every way
of signing in — the login page, the second step, the admin — is covered by one place.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q, QuerySet
from django.dispatch import receiver
from django.http import HttpRequest

from zhenggai.core.security import LAST_SEEN_KEY, SIGNED_IN_AT_KEY

from .models_security import SignInRecord

# Set on the request by the code that signs a user out for a reason other than the logout button.
LOGOUT_REASON_ATTR = "zg_logout_reason"


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address as the server saw it (behind a proxy, the proxy must set REMOTE_ADDR)."""
    if request is None:
        return None
    value = request.META.get("REMOTE_ADDR", "") or ""
    return value or None


def sign_in_record(*, kind: str, request: HttpRequest | None, user: Any = None, username: str = "",
                   detail: str = "") -> SignInRecord:
    """Writes one record. `username` defaults to the user's; the user agent is cut to the column size."""
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    if user is not None and not getattr(user, "pk", None):
        user = None
    return SignInRecord.objects.create(
        kind=kind, user=user, username=(username or (user.get_username() if user is not None else ""))[:150],
        ip_address=client_ip(request), user_agent=agent[:255], detail=detail[:100],
    )


@receiver(user_logged_in, dispatch_uid="zhenggai_sign_in_recorded")
def _on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    method = getattr(request, "zg_second_factor", "") if request is not None else ""
    session = getattr(request, "session", None)
    if session is not None:
        from . import totp

        # the clocks of the idle and absolute session limits start now
        session[SIGNED_IN_AT_KEY] = session[LAST_SEEN_KEY] = time.time()
        # a session opened without the code of a confirmed authenticator is closed on its next request
        if method:
            session[totp.STATE_KEY] = totp.STATE_OK
        elif totp.two_factor_device_for(user) is not None:
            session[totp.STATE_KEY] = totp.STATE_UNVERIFIED
        else:
            session[totp.STATE_KEY] = totp.STATE_NONE
    sign_in_record(kind=SignInRecord.Kind.LOGIN, request=request, user=user, detail=method)


@receiver(user_login_failed, dispatch_uid="zhenggai_sign_in_failure_recorded")
def _on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None,
                     **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))
    if _locked(request, credentials):
        kind = SignInRecord.Kind.LOCKED_OUT  # refused without checking: too many failures before
    elif credentials.get("second_factor"):
        kind = SignInRecord.Kind.SECOND_FACTOR_FAILURE
    else:
        kind = SignInRecord.Kind.FAILURE
    sign_in_record(kind=kind, request=request, user=_user_named(username), username=username)


def _locked(request: HttpRequest | None, credentials: dict[str, Any]) -> bool:
    """Whether django-axes already locks this user name and address (this receiver runs before axes
    counts the present failure)."""
    if request is None:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, credentials))


def _user_named(username: str) -> Any:
    from .models import User

    return User.objects.filter(username=username).first() if username else None


@receiver(user_logged_out, dispatch_uid="zhenggai_sign_out_recorded")
def _on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, LOGOUT_REASON_ATTR, "") if request is not None else ""
    kind = SignInRecord.Kind.EXPIRED if reason in {"idle", "absolute"} else SignInRecord.Kind.LOGOUT
    sign_in_record(kind=kind, request=request, user=user, detail=reason)


def sign_in_records_for(user: Any) -> QuerySet[SignInRecord]:
    """The records an administrator may read: those of users in their scope, and attempts with user names
    that match no user (nobody's scope holds those). Others see nothing."""
    from .models import Role, User
    from .policies import scope_for, user_has_role

    records = SignInRecord.objects.select_related("user")
    if user.is_superuser:
        return records
    if not user_has_role(user, Role.ADMIN):
        return records.none()
    visible = scope_for(user, User.objects.all()).values("pk")
    return records.filter(Q(user__in=visible) | Q(user__isnull=True))
