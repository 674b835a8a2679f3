"""Security middleware: the Content-Security-Policy on every answer, and idle / absolute session expiry.

Django 5.2 has no CSP support of its own, so `SecurityHeadersMiddleware` adds the policy. Pages carry no
inline scripts, inline event handlers or inline styles (JS and CSS come from static files, page data from
`json_script` blocks), so the policy allows scripts and styles only from the site itself. Answers that set
their own policy (evidence and portal downloads send `default-src 'none'; sandbox`) keep theirs.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    # ECharts sets style attributes on the elements it creates; attributes cannot hold selectors or load
    # anything the other directives refuse, so only they are allowed inline.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])
PERMISSIONS_POLICY = "geolocation=(), microphone=(), payment=(), usb=()"

# Session keys.
LAST_SEEN_KEY = "zg_last_seen"  # time.time() of the last request, refreshed at most once a minute
SIGNED_IN_AT_KEY = "zg_signed_in_at"  # time.time() of the sign-in
TOUCH_EVERY_SECONDS = 60
PUBLIC_PREFIXES = ("/portal/", "/static/", "/healthz", "/readyz")


def signed_in_request(request: HttpRequest) -> bool:
    """Whether the request comes from a signed-in user. Without a session cookie the answer is no
    without touching the session, so anonymous answers (the cacheable portal) get no `Vary: Cookie`;
    public portal pages are never checked."""
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or request.path.startswith(PUBLIC_PREFIXES):
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class SecurityHeadersMiddleware:
    """Adds `Content-Security-Policy` (unless the view set one) and `Permissions-Policy`. X-Frame-Options,
    Referrer-Policy, nosniff and HSTS come from Django's own middleware and settings."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY
        return response


class SessionExpiryMiddleware:
    """Signs a user out after `ZHENGGAI_SESSION_IDLE_MINUTES` without a request, and in any case
    `SESSION_COOKIE_AGE` seconds after signing in. The request then goes on as anonymous, so pages
    redirect to the login page and the API answers 401. The sign-out is recorded as "会话超时"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if signed_in_request(request):
            self._check(request)
        return self.get_response(request)

    @staticmethod
    def _check(request: HttpRequest) -> None:
        from zhenggai.accounts.signins import LOGOUT_REASON_ATTR

        session = request.session
        now = time.time()
        idle_limit = int(getattr(settings, "ZHENGGAI_SESSION_IDLE_MINUTES", 120)) * 60
        absolute_limit = int(settings.SESSION_COOKIE_AGE)
        last_seen = session.get(LAST_SEEN_KEY)
        signed_in_at = session.get(SIGNED_IN_AT_KEY)
        reason = ""
        if idle_limit > 0 and last_seen is not None and now - float(last_seen) > idle_limit:
            reason = "idle"
        elif signed_in_at is not None and now - float(signed_in_at) > absolute_limit:
            reason = "absolute"
        if reason:
            setattr(request, LOGOUT_REASON_ATTR, reason)
            logout(request)  # flushes the session; request.user becomes AnonymousUser
            return
        if signed_in_at is None:
            session[SIGNED_IN_AT_KEY] = now
        if last_seen is None or now - float(last_seen) >= TOUCH_EVERY_SECONDS:
            session[LAST_SEEN_KEY] = now


class NulQueryMiddleware:
    """Drop NUL characters from query parameters before any view sees them. PostgreSQL refuses NUL in
    every string parameter, so a `?q=%00` on any list (pages and API) would otherwise end in a server
    error; no filter value ever needs one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", "") or any("\x00" in v for v in request.GET.values()):
            cleaned = request.GET.copy()
            for key in list(cleaned):
                cleaned.setlist(key, [v.replace("\x00", "") for v in cleaned.getlist(key)])
            request.GET = cleaned  # type: ignore[assignment]  # a copy, mutable by design
        return self.get_response(request)
