"""Import of complaint tables (upload → preview → confirm), for the office of the inspection's region."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import CHANGE, scope_for, user_can, user_has_role
from zhenggai.core.errors import PermissionDenied
from zhenggai.core.views_util import get_scoped_or_404
from zhenggai.inspections.models import Inspection
from zhenggai.reports.views import STORAGE_DIR, _remove_stale_uploads

from .complaint_import import (
    ComplaintImportFailed,
    Problem,
    complaint_import_apply,
    complaint_import_parse,
    may_import_complaints,
)
from .import_forms import ComplaintImportForm

SESSION_KEY = "complaint_imports"
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
TEMPLATE = "complaints/import.html"


def complaint_list_url() -> str:
    try:
        return reverse("complaint_list")
    except NoReverseMatch:
        return "/complaints/"


def _changeable_inspections(user: Any) -> Any:
    visible = scope_for(user, Inspection.objects.select_related("target_region"))
    ids = [i.pk for i in visible if user_can(user, CHANGE, i) and may_import_complaints(user, i)]
    return Inspection.objects.filter(pk__in=ids).order_by("-start_date", "id")


def _forget(request: HttpRequest, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if entry:
        default_storage.delete(entry["path"])


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    context.setdefault("list_url", complaint_list_url())
    return render(request, TEMPLATE, context, status=status)


@login_required
def complaint_import(request: HttpRequest) -> HttpResponse:
    """Office only. GET: the upload form. POST with a file: parse and dry-run, show the cases that would be
    created, updated or left unchanged — or every problem with its row and column. POST with the token
    of a previewed upload: import it for real, then go to the list of cases."""
    user = request.user
    if not user_has_role(user, Role.OFFICE):
        raise DjangoPermissionDenied
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, request.POST["token"])
    inspections = _changeable_inspections(user)
    initial: dict[str, Any] = {}
    if request.GET.get("inspection", "").isdigit():
        initial["inspection"] = inspections.filter(pk=int(request.GET["inspection"])).first()
    form = ComplaintImportForm(request.POST or None, request.FILES or None, inspections=inspections, initial=initial)
    if request.method != "POST" or not form.is_valid():
        return _render(request, {"form": form}, status=400 if request.method == "POST" else 200)

    inspection = form.cleaned_data["inspection"]
    batch = form.cleaned_data["batch"]
    handed_over = form.cleaned_data["handed_over"]
    upload = form.cleaned_data["file"]
    data = upload.read()
    result = complaint_import_parse(io.BytesIO(data), filename=upload.name, inspection=inspection)
    problems = list(result.problems)
    counts = None
    if not problems:
        try:
            counts = complaint_import_apply(actor=user, inspection=inspection, batch_number=batch,
                                            handed_over=handed_over, result=result, dry_run=True)
        except ComplaintImportFailed as failure:
            problems = failure.problems
        except PermissionDenied as error:
            problems = [Problem(None, "", str(error.message))]
    context: dict[str, Any] = {"form": form, "inspection": inspection, "batch": batch, "handed_over": handed_over,
                               "filename": upload.name, "result": result, "problems": problems, "counts": counts}
    if problems:
        return _render(request, context)

    _remove_stale_uploads()
    token = uuid.uuid4().hex
    path = default_storage.save(f"{STORAGE_DIR}/{token}", ContentFile(data))
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {"path": path, "filename": upload.name, "inspection": inspection.pk, "batch": batch,
                      "handed_over": handed_over.isoformat()}
    request.session[SESSION_KEY] = pending
    context["token"] = token
    return _render(request, context)


def _confirm(request: HttpRequest, token: str) -> HttpResponse:
    entry = request.session.get(SESSION_KEY, {}).get(token) if TOKEN_RE.match(token) else None
    if entry is None or not default_storage.exists(entry["path"]):
        messages.error(request, _("预览已失效，请重新上传文件。"))
        return redirect("complaint_import")
    user = request.user
    inspection = get_scoped_or_404(user, Inspection.objects.select_related("target_region"), pk=entry["inspection"])
    if not may_import_complaints(user, inspection):
        raise DjangoPermissionDenied
    handed_over = dt.date.fromisoformat(entry["handed_over"])
    with default_storage.open(entry["path"], "rb") as stored:
        data = stored.read()
    try:
        result = complaint_import_parse(io.BytesIO(data), filename=entry["filename"], inspection=inspection)
        counts = complaint_import_apply(actor=user, inspection=inspection, batch_number=entry["batch"],
                                        handed_over=handed_over, result=result)
    except ComplaintImportFailed as failure:
        problems = failure.problems
    except PermissionDenied as error:
        problems = [Problem(None, "", str(error.message))]
    else:
        messages.success(request, _("导入完成：第%(batch)s批新增 %(created)s 件，更新 %(updated)s 件，未变 %(unchanged)s 件。") % {
            "batch": entry["batch"], "created": counts.created, "updated": counts.updated,
            "unchanged": counts.unchanged})
        return redirect(complaint_list_url())
    finally:
        _forget(request, token)
    form = ComplaintImportForm(inspections=_changeable_inspections(user),
                               initial={"inspection": inspection, "batch": entry["batch"], "handed_over": handed_over})
    return _render(request, {"form": form, "inspection": inspection, "filename": entry["filename"],
                             "problems": problems})
