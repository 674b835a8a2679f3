"""Rate limit: at most ZHENGGAI_API_RATE_PER_MIN calls (default 600) per token, or per user for session
calls, in each clock minute, counted in Django's cache (shared by every app server when Redis is the
cache). Over the limit the API answers 429 with Retry-After (seconds to the next minute)."""

from __future__ import annotations

import os
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

DEFAULT_RATE = 600


def rate_per_minute() -> int:
    value = getattr(settings, "ZHENGGAI_API_RATE_PER_MIN", None)
    if value is None:
        value = os.environ.get("ZHENGGAI_API_RATE_PER_MIN") or DEFAULT_RATE
    return max(1, int(value))


class PerMinuteThrottle(BaseThrottle):
    def ident(self, request: HttpRequest) -> str:
        token = getattr(request, "api_token", None)
        if token is not None:
            return f"token:{token.pk}"
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        if user is not None and getattr(user, "pk", None):
            return f"user:{user.pk}"
        return f"ip:{self.get_ident(request)}"

    def allow_request(self, request: HttpRequest) -> bool:
        now = time.time()
        window = int(now // 60)
        key = f"zg-api-rate:{self.ident(request)}:{window}"
        if cache.add(key, 1, timeout=70):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout=70)
                count = 1
        return count <= rate_per_minute()

    def wait(self) -> float | None:
        return 60 - time.time() % 60  # to the next window
