"""Pages of two-factor sign-in: the second login step, enrolment with a QR code, turning it off, new
recovery codes. The rules live in `accounts.totp`; sign-ins are recorded by `accounts.signins`."""

from __future__ import annotations

import time
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from zhenggai.core.errors import DomainError

from . import totp
from .models import User
from .models_security import SignInRecord
from .signins import sign_in_record
from .views import ThrottledLoginView

PENDING_KEY = "zg_2fa_pending"  # {"uid", "backend", "at", "next"} between the password and the code
PENDING_SECONDS = 300
STATE_KEY, STATE_OK, STATE_NONE = totp.STATE_KEY, totp.STATE_OK, totp.STATE_NONE


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("验证码"), max_length=20, strip=True)


class PasswordForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("当前密码"), widget=forms.PasswordInput, strip=False)


class TwoFactorLoginView(ThrottledLoginView):
    """The login page. A user with a confirmed authenticator is not signed in after the password: the
    session holds a pending sign-in for five minutes and the browser goes on to the code page."""

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if totp.two_factor_device_for(user) is None:
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "uid": user.pk, "backend": getattr(user, "backend", ""), "at": time.time(),
            "next": self.get_success_url(),
        }
        sign_in_record(kind=SignInRecord.Kind.PASSWORD_OK, request=self.request, user=user)
        return redirect("login_2fa")


def _pending_user(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    pending = request.session.get(PENDING_KEY)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    user = User.objects.filter(pk=int(pending.get("uid") or 0), is_active=True).first()
    return (user, pending) if user is not None else None


@sensitive_post_parameters("code")
@never_cache
def login_2fa(request: HttpRequest) -> HttpResponseBase:
    """The second step: a TOTP code or a recovery code. Wrong codes count as failed sign-ins for the
    throttling (django-axes), so guessing is locked out like password guessing."""
    found = _pending_user(request)
    if found is None:
        messages.info(request, _("请重新输入用户名和密码。"))
        return redirect("login")
    user, pending = found
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from axes.handlers.proxy import AxesProxyHandler

        credentials = {"username": user.get_username(), "second_factor": True}
        if AxesProxyHandler.is_locked(request, credentials):
            request.session.pop(PENDING_KEY, None)
            sign_in_record(kind=SignInRecord.Kind.LOCKED_OUT, request=request, user=user)
            request.axes_locked_out = True  # type: ignore[attr-defined]  # AxesMiddleware answers 429
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            return HttpResponse(status=429)
        method = totp.two_factor_verify(user=user, code=form.cleaned_data["code"])
        if method is not None:
            request.session.pop(PENDING_KEY, None)
            request.zg_second_factor = method  # type: ignore[attr-defined]  # read by the sign-in record
            login(request, user, backend=pending.get("backend") or None)  # the receiver marks the session
            if method == "recovery":
                messages.warning(request, _("您使用了一个恢复码，每个恢复码只能使用一次。"))
            return redirect(pending.get("next") or reverse("workbench"))
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        if getattr(request, "axes_locked_out", False):
            request.session.pop(PENDING_KEY, None)
            return HttpResponse(status=429)
        form.add_error("code", _("验证码不正确或已使用过。"))
    return render(request, "registration/2fa_login.html", {"form": form}, status=400 if form.errors else 200)


def _render_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    response = render(request, "registration/2fa_recovery_codes.html", {"codes": codes})
    response["Cache-Control"] = "no-store"
    return response


@sensitive_post_parameters("code", "password")
@never_cache
@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponseBase:
    """Enrolment (QR code and secret, confirmed by one code), or, when enrolled, the status with
    "new recovery codes" and "turn off"."""
    user = request.user
    device = totp.two_factor_device_for(user)
    code_form = CodeForm(request.POST if request.method == "POST" and "code" in request.POST else None)
    password_form = PasswordForm(request.POST if request.method == "POST" and "password" in request.POST else None)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "confirm" and device is None and code_form.is_valid():
                codes = totp.two_factor_confirm(user=user, code=code_form.cleaned_data["code"])
                request.session[STATE_KEY] = STATE_OK
                messages.success(request, _("两步验证已启用。"))
                return _render_codes(request, codes)
            if action == "recovery" and device is not None and code_form.is_valid():
                codes = totp.recovery_codes_regenerate(user=user, code=code_form.cleaned_data["code"])
                messages.success(request, _("已生成新的恢复码，旧的恢复码已作废。"))
                return _render_codes(request, codes)
            if action == "disable" and device is not None and password_form.is_valid():
                totp.two_factor_disable(user=user, password=password_form.cleaned_data["password"])
                request.session[STATE_KEY] = STATE_NONE
                messages.success(request, _("两步验证已关闭。"))
                return redirect("two_factor_setup")
        except DomainError as error:
            target = password_form if error.field == "password" else code_form
            target.add_error(error.field if error.field in target.fields else None, str(error.message))
    context: dict[str, Any] = {
        "device": device, "code_form": code_form, "password_form": password_form,
        "required": totp.two_factor_required_for(user),
    }
    if device is None:
        pending = totp.two_factor_enrol_start(user=user)
        uri = totp.otpauth_uri(secret=pending.secret, account=user.get_username())
        context.update(secret=pending.secret, uri=uri, qr=totp.qr_data_uri(uri))
    else:
        context["codes_left"] = totp.recovery_codes_left(device)
    return render(request, "registration/2fa_setup.html", context, status=400 if code_form.errors
                  or password_form.errors else 200)
