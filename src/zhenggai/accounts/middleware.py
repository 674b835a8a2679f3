"""Two-factor enforcement for every signed-in request (after Django's AuthenticationMiddleware).

- A session of a user with a confirmed authenticator that was opened without the code (the admin's own
  login form, any other login path) is signed out: the second step cannot be skipped.
- With `ZHENGGAI_REQUIRE_2FA_ROLES` set (e.g. "office,admin"), users holding one of those roles who have
  not enrolled are sent to the enrolment page before anything else (the API answers 403).
- The admin site's login form redirects to the site's login page, which has the second step.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from zhenggai.core.security import signed_in_request

from . import totp
from .signins import LOGOUT_REASON_ATTR
from .totp import STATE_KEY, STATE_NONE, STATE_OK, STATE_UNVERIFIED


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        answer = self._check(request)
        return answer if answer is not None else self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponseBase | None:
        if request.path == reverse("admin:login"):  # the admin's own form would skip the second step
            return redirect_to_login(request.GET.get("next", reverse("admin:index")))
        if not signed_in_request(request):
            return None
        user = request.user
        state = request.session.get(STATE_KEY)
        if state is None:  # a session opened before this middleware existed
            state = STATE_UNVERIFIED if totp.two_factor_device_for(user) is not None else STATE_NONE
            request.session[STATE_KEY] = state
        if state == STATE_UNVERIFIED:
            setattr(request, LOGOUT_REASON_ATTR, "second_factor_missing")
            logout(request)
            return redirect_to_login(request.get_full_path())
        if state == STATE_OK or not totp.two_factor_required_for(user) or self._exempt(request.path):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "two_factor_required", "message": _("请先在网页上启用两步验证。")},
                                status=403)
        messages.warning(request, _("您的角色须启用两步验证后才能使用本系统。"))
        return redirect("two_factor_setup")

    @staticmethod
    def _exempt(path: str) -> bool:
        allowed = (reverse("two_factor_setup"), reverse("logout"), reverse("login"), reverse("login_2fa"),
                   reverse("set_language"), reverse("healthz"), reverse("readyz"))
        return path in allowed or path.startswith(settings.STATIC_URL)
