"""Downloads of generated documents: the filtered ledger, bulletins, the task dossier, the closure notice
table. Views parse input, call one selector or service, and answer; scope is checked by the selectors
(404 for hidden and missing objects alike, 403 for a role that has no business with bulletins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from zhenggai.accounts.policies import user_region
from zhenggai.core.errors import DomainError, NotFound
from zhenggai.core.errors import PermissionDenied as DomainPermissionDenied
from zhenggai.core.views_util import get_scoped_or_404
from zhenggai.inspections.models import Plan
from zhenggai.rectification.selectors import task_detail_for_user
from zhenggai.rectification.warnings import today

from .closure_table import closure_notice_table_pdf_bytes
from .dossier import dossier_filename, task_dossier_pdf_bytes
from .ledger_filtered import filtered_ledger_file, filtered_ledger_filename
from .models import Bulletin
from .selectors_documents import (
    bulletins_for_user,
    closure_notices_for_plan,
    ledger_tasks_for_user,
    may_request_bulletin,
)
from .tasks import bulletin_request
from .xlsx import XLSX_TYPE, attachment_disposition

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _download(content: bytes, content_type: str, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment_disposition(filename, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def task_ledger_export(request: HttpRequest) -> FileResponse:
    """The task list's tasks (same query parameters, same scope) as the dispatch ledger .xlsx."""
    handle = filtered_ledger_file(ledger_tasks_for_user(request.user, request.GET))
    on = today()
    response = FileResponse(handle, content_type=XLSX_TYPE)
    response["Content-Disposition"] = attachment_disposition(filtered_ledger_filename(on), f"ledger-{on:%Y%m%d}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def task_dossier_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """一案一档 of a task the user may see (404 otherwise)."""
    try:
        task = task_detail_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    pdf = task_dossier_pdf_bytes(user=request.user, task=task)
    return _download(pdf, PDF_TYPE, dossier_filename(task), f"dossier-{task.pk}.pdf")


def _date(value: str | None) -> dt.date | None:
    try:
        return parse_date((value or "").strip())
    except ValueError:
        return None


@login_required
@require_GET
def closure_notice_table_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """验收销号公示表 of a plan the user may see, optionally only notices starting within ?from=&to=."""
    plan = get_scoped_or_404(request.user, Plan.objects.all(), pk=pk)
    notices = closure_notices_for_plan(request.user, plan, date_from=_date(request.GET.get("from")),
                                       date_to=_date(request.GET.get("to")))
    pdf = closure_notice_table_pdf_bytes(plan=plan, notices=notices)
    return _download(pdf, PDF_TYPE, f"{plan.title}-验收销号公示表.pdf", f"closure-notices-{plan.pk}.pdf")


def _bulletins(user: Any) -> Any:
    try:
        return bulletins_for_user(user)
    except DomainPermissionDenied as exc:
        raise DjangoPermissionDenied from exc


@login_required
@require_http_methods(["GET", "POST"])
def bulletin_list(request: HttpRequest) -> HttpResponse:
    """Bulletins of the user's region. The office may generate one for a month (POST month=YYYY-MM);
    leaders and discipline read; other roles get 403."""
    bulletins = _bulletins(request.user)
    region = user_region(request.user)
    can_generate = region is not None and may_request_bulletin(request.user, region)
    error = ""
    if request.method == "POST":
        if not can_generate or region is None:
            raise DjangoPermissionDenied
        try:
            bulletin = bulletin_request(actor=request.user, region=region, month=request.POST.get("month", ""))
        except DomainError as exc:
            error = str(exc.message)
        else:
            messages.success(request, _("已开始生成“%(title)s”，稍后刷新本页即可下载。") % {"title": bulletin.title})
            return redirect("bulletin_list")
    last_month = (today().replace(day=1) - dt.timedelta(days=1))
    return render(request, "reports/documents/bulletin_list.html", {
        "bulletins": bulletins[:120], "can_generate": can_generate, "error": error,
        "default_month": request.POST.get("month") or f"{last_month:%Y-%m}", "section": "bulletin_list",
    }, status=400 if error else 200)


@login_required
@require_GET
def bulletin_download(request: HttpRequest, pk: int, kind: str) -> FileResponse:
    bulletin = _bulletins(request.user).filter(pk=pk, status=Bulletin.Status.DONE).first()
    field = getattr(bulletin, kind, None) if bulletin is not None else None
    if bulletin is None or not field:
        raise Http404
    content_type = PDF_TYPE if kind == "pdf" else DOCX_TYPE
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Content-Disposition"] = attachment_disposition(f"{bulletin.title}.{kind}",
                                                             f"bulletin-{bulletin.month:%Y-%m}.{kind}")
    response["X-Content-Type-Options"] = "nosniff"
    return response
