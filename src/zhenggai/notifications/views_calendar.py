"""The private calendar feed (`/calendar/<token>.ics`, no session: the token is the credential) and the page
where a user sees and resets its URL (`/account/calendar/`). Rules live in `calendar.py`."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .calendar import (
    calendar_feed_by_token,
    calendar_feed_for,
    calendar_feed_reset,
    calendar_items_for_user,
    calendar_kinds_for,
    calendar_render,
)


def _base_url(request: HttpRequest) -> str:
    site = str(getattr(settings, "ZHENGGAI_SITE_URL", "") or "").rstrip("/")
    return site or f"{request.scheme}://{request.get_host()}"


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = calendar_feed_by_token(token)
    if feed is None:
        raise Http404
    user = feed.user
    base = _base_url(request)
    host = urlsplit(base).hostname or "zhenggai"
    name = _("整改 · %(name)s") % {"name": user.get_full_name() or user.get_username()}
    body = calendar_render(items=calendar_items_for_user(user=user), name=name, base_url=base, host=host)
    etag = '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'
    response = get_conditional_response(request, etag=etag) or HttpResponse(
        body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["Content-Disposition"] = 'inline; filename="zhenggai.ics"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_http_methods(["GET"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    feed = calendar_feed_for(user=request.user)
    url = _base_url(request) + reverse("calendar_feed", args=[feed.token])
    response = render(request, "notifications/calendar.html", {
        "feed": feed, "feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1],
        "kinds": sorted(calendar_kinds_for(request.user)),
    })
    response["Cache-Control"] = "no-store"  # the URL is a credential
    return response


@login_required
@require_POST
def calendar_reset(request: HttpRequest) -> HttpResponse:
    calendar_feed_reset(user=request.user)
    messages.success(request, _("已生成新的订阅地址，旧地址已失效；请在日历程序中改用新地址。"))
    return redirect("calendar_settings")
