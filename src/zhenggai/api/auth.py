"""Authentication of API calls: a personal token (`Authorization: Bearer …`) or the browser session.

A session write must carry the CSRF token (header `X-CSRFToken`), as the pages' forms do; token calls
need none (a token is never sent by a browser on its own). A presented but unknown, expired or revoked
token is refused with 401 — it never falls back to the session.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from .services import api_token_authenticate


class TokenAuth(HttpBearer):
    """个人接口令牌：在请求头中发送 `Authorization: Bearer <令牌>`。"""

    openapi_description = "个人接口令牌（在“接口令牌”页面或用 `zhenggai create-token` 创建）"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(token.strip())  # raises TokenRefused → 401
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


class BrowserSession(SessionAuth):
    """浏览器登录会话（写操作须带 X-CSRFToken 请求头）。"""

    openapi_description = "浏览器登录会话；写操作须带 X-CSRFToken 请求头"

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None  # no session: answer 401, not a CSRF failure
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


token_auth = TokenAuth()
session_auth = BrowserSession(csrf=True)
API_AUTH = [token_auth, session_auth]


def request_identity(request: HttpRequest) -> Any:
    """The user a request would act as, without raising: the token's user, else the session's."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        try:
            return api_token_authenticate(header[7:].strip()).user
        except Exception:  # noqa: BLE001 - an invalid token simply identifies nobody
            return None
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None
