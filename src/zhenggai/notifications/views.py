"""The inbox and each user's notification settings. Views parse input, call one service or selector,
and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhenggai.core.errors import NotFound
from zhenggai.core.views_util import paginate

from .forms import NotificationPreferenceForm
from .hook_services import webhook_may_manage
from .selectors import notification_list_for_user, webhook_targets_for_user
from .services import (
    notification_mark_read,
    notification_open,
    notification_preference_for,
    notification_preference_save,
)


@login_required
@require_http_methods(["GET", "POST"])
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        count = notification_mark_read(user=request.user)
        if count:
            messages.success(request, _("已将 %(n)s 条消息标为已读。") % {"n": count})
        return redirect("inbox")
    unread_only = request.GET.get("unread") == "1"
    page = paginate(request, notification_list_for_user(user=request.user, unread_only=unread_only), 20)
    return render(request, "notifications/inbox.html", {"page": page, "unread_only": unread_only})


@login_required
@require_http_methods(["GET"])
def inbox_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark the message read and follow its link; someone else's message is as missing as a deleted one."""
    try:
        notification = notification_open(user=request.user, pk=pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    url = notification.url
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(url)
    return redirect("inbox")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    preference = notification_preference_for(user=request.user)
    form = NotificationPreferenceForm(request.POST or None, instance=preference)
    if request.method == "POST" and form.is_valid():
        notification_preference_save(user=request.user, **form.cleaned_data)
        messages.success(request, _("提醒设置已保存。"))
        return redirect("notification_settings")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "robots": webhook_targets_for_user(user=request.user),
         "can_manage_hooks": webhook_may_manage(request.user)},
    )
