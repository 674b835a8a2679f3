"""Staff pages "推送地址" for admins: the hooks of their region, each with its delivery log; create, edit,
enable/disable, rotate an event hook's secret, send a test. Rules live in `hook_services.py`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhenggai.core.errors import DomainError, NotFound
from zhenggai.core.views_util import form_error, paginate

from .forms import WebhookTargetForm
from .hook_services import (
    webhook_deliveries_for_target,
    webhook_may_manage,
    webhook_organizations_for_admin,
    webhook_target_get_for_admin,
    webhook_target_rotate_secret,
    webhook_target_save,
    webhook_target_send_test,
    webhook_target_set_active,
    webhook_targets_for_admin,
)
from .models import WebhookTarget
from .webhooks import Status


def _require_admin(request: HttpRequest) -> None:
    if not webhook_may_manage(request.user):
        raise DjangoPermissionDenied


def _target(request: HttpRequest, pk: int) -> WebhookTarget:
    try:
        return webhook_target_get_for_admin(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
@require_http_methods(["GET"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return render(request, "notifications/webhooks.html", {"targets": webhook_targets_for_admin(user=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_admin(request)
    target = _target(request, pk) if pk is not None else None
    form = WebhookTargetForm(request.POST or None, instance=target,
                             organizations=webhook_organizations_for_admin(user=request.user))
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        try:
            saved = webhook_target_save(
                actor=request.user, target=target, organization=data["organization"], name=data["name"],
                url=data["url"], format=data["format"], event_types=data["event_types"],
                is_active=data["is_active"], robot_secret=data["robot_secret"] or None,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("推送地址已保存。"))
            return redirect("webhook_detail", pk=saved.pk)
    return render(request, "notifications/webhook_form.html", {"form": form, "target": target})


@login_required
@require_http_methods(["GET"])
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    target = _target(request, pk)
    page = paginate(request, webhook_deliveries_for_target(target=target), 20)
    response = render(request, "notifications/webhook_detail.html", {
        "target": target, "page": page, "generic": target.format == WebhookTarget.Format.GENERIC,
    })
    response["Cache-Control"] = "no-store"  # the page shows the signing secret
    return response


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    target = webhook_target_set_active(actor=request.user, target=_target(request, pk),
                                       active=request.POST.get("active") == "1")
    messages.success(request, _("已启用。") if target.is_active else _("已停用。"))
    return redirect("webhook_detail", pk=pk)


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    try:
        webhook_target_rotate_secret(actor=request.user, target=_target(request, pk))
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已生成新的签名密钥，旧密钥立即失效；请把新密钥配置到接收方。"))
    return redirect("webhook_detail", pk=pk)


@login_required
@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request)
    delivery = webhook_target_send_test(actor=request.user, target=_target(request, pk))
    if delivery.status == Status.SENT:
        messages.success(request, _("测试消息已送达。"))
    else:
        messages.error(request, _("测试消息未送达，系统会稍后重试；请查看下方推送记录中的错误。"))
    return redirect("webhook_detail", pk=pk)
