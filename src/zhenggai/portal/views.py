"""The public site (no login). Only public fields: no staff names, no objection contacts, nothing internal.
The full portal comes later; for now a home page, the public notices and their objection form."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhenggai.core.errors import DomainError
from zhenggai.inspections.models import Plan
from zhenggai.rectification.acceptance_forms import PublicObjectionForm
from zhenggai.rectification.models import PublicNotice
from zhenggai.rectification.transitions import objection_lodge
from zhenggai.rectification.warnings import today


def home(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.filter(published_date__isnull=False).select_related("inspection").order_by("-published_date")
    notices = _public_notices().filter(status=PublicNotice.Status.OPEN)[:10]
    return render(request, "portal/home.html", {"plans": plans, "notices": notices})


def _public_notices():  # type: ignore[no-untyped-def]
    return (PublicNotice.objects.exclude(status=PublicNotice.Status.WITHDRAWN)
            .select_related("task", "task__plan").prefetch_related("task__implementing_units")
            .order_by("-start_date", "-id"))


def notice_list(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/notice_list.html", {"notices": _public_notices()[:200], "today": today()})


def _client_hash(request: HttpRequest) -> str:
    raw = f"{settings.SECRET_KEY}|{request.META.get('REMOTE_ADDR', '')}|{request.META.get('HTTP_USER_AGENT', '')}"
    return hashlib.sha256(raw.encode()).hexdigest()


def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _public_notices().filter(pk=pk).first()
    if notice is None:
        raise Http404
    is_open = notice.status == PublicNotice.Status.OPEN and today() <= notice.end_date
    form = PublicObjectionForm(request.POST or None)
    if request.method == "POST":
        if not is_open:
            messages.error(request, _("公示已结束，不再受理异议。"))
        elif form.is_valid():
            try:
                objection_lodge(notice=notice, client_hash=_client_hash(request), **form.cleaned_data)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error.message))
            else:
                messages.success(request, _("异议已提交。督察整改办将核实并答复，答复前不会销号。"))
                return redirect("portal:notice_detail", pk=notice.pk)
    answered = notice.objections.filter(status="answered").order_by("submitted_at")
    return render(request, "portal/notice_detail.html", {
        "notice": notice, "form": form, "is_open": is_open, "answered": answered,
        "objection_count": notice.objections.count(),
    })
