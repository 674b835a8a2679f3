"""Evidence pages: the upload form, scope-checked downloads and thumbnails, deletion.

Files are never served from a public URL: every byte goes through these views, which answer 404 both
for hidden and for missing evidence."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenggai.core.errors import DomainError, NotFound, PermissionDenied
from zhenggai.core.views_util import form_error, get_scoped_or_404
from zhenggai.rectification.models import Task
from zhenggai.reports.xlsx import attachment_disposition

from .files import max_bytes, too_big_message
from .forms import ACCEPT, EvidenceUploadForm
from .models import Evidence
from .policies import may_upload
from .selectors import evidence_get_for_user
from .services import (
    EvidenceRefused,
    evidence_check_files,
    evidence_create_many,
    evidence_delete,
    evidence_set_public,
    max_files,
)
from .uploads import EvidenceUploadLimit

logger = logging.getLogger(__name__)


def _task_url(task: Task) -> str:
    return reverse("task_detail", args=[task.pk]) + "#evidence"


@csrf_exempt  # checked by `_upload` below, after the size-limiting upload handler is in place
@login_required
@require_http_methods(["GET", "POST"])
def evidence_upload(request: HttpRequest, task_pk: int) -> HttpResponse:
    """GET: the upload form. POST (multipart: `files` several times, `category`, `description`,
    `is_public`): store all files or none, then back to the task page."""
    handler = EvidenceUploadLimit(request, max_bytes=max_bytes(), max_files=max_files())
    try:
        request.upload_handlers = [handler, *request.upload_handlers]
    except AttributeError:  # the body was already read (by a middleware): the service still checks sizes
        return _upload(request, task_pk, None)
    return _upload(request, task_pk, handler)


@csrf_protect
def _upload(request: HttpRequest, task_pk: int, limit: EvidenceUploadLimit | None) -> HttpResponse:
    task = get_scoped_or_404(request.user, Task.objects.select_related("plan__inspection", "region"), pk=task_pk)
    if not may_upload(request.user, task):
        raise DjangoPermissionDenied
    form = EvidenceUploadForm(request.POST or None)
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        files = request.FILES.getlist("files")
        if limit is not None and limit.too_many:
            form.add_error(None, _("一次最多上传 %(n)s 个文件。") % {"n": max_files()})
        elif limit is not None and limit.too_big:
            # the oversized files were not kept; name them and every other refused file
            refused = [too_big_message(name) for name in limit.too_big]
            refused += evidence_check_files(files=files, is_public=form.cleaned_data["is_public"])
        elif not files:
            form.add_error(None, _("请选择要上传的文件。"))
        else:
            try:
                stored = evidence_create_many(
                    actor=request.user, task=task, files=files, category=form.cleaned_data["category"],
                    description=form.cleaned_data["description"], is_public=form.cleaned_data["is_public"],
                )
            except EvidenceRefused as error:
                refused = error.messages
            except NotFound as error:
                raise Http404 from error
            except PermissionDenied as error:
                raise DjangoPermissionDenied from error
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("已上传 %(n)s 个文件。") % {"n": len(stored)})
                return redirect(_task_url(task))
    status = 400 if request.method == "POST" else 200
    return render(request, "evidence/upload.html", {"task": task, "form": form, "refused": refused,
                                                     "accept": ACCEPT}, status=status)


def _file_response(request: HttpRequest, field: Any, content_type: str, disposition: str) -> FileResponse:
    if not field or not field.name:
        raise Http404
    try:
        handle = field.storage.open(field.name, "rb")
    except (FileNotFoundError, OSError) as exc:
        logger.error("evidence file missing from storage: %s", field.name)
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    # A stored file is never run as a page, even if a browser were to render it.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _visible_evidence(request: HttpRequest, pk: int) -> Evidence:
    try:
        return evidence_get_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    """The stored file with its recorded type, as an attachment named after the original file."""
    evidence = _visible_evidence(request, pk)
    return _file_response(request, evidence.file, evidence.content_type or "application/octet-stream",
                          attachment_disposition(evidence.original_name))


@login_required
@require_GET
def evidence_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    """The 320px JPEG thumbnail of an image, inline; 404 when the evidence has none."""
    evidence = _visible_evidence(request, pk)
    return _file_response(request, evidence.thumbnail, "image/jpeg", 'inline; filename="thumbnail.jpg"')


@login_required
@require_POST
def evidence_public_view(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _visible_evidence(request, pk)
    is_public = request.POST.get("is_public") == "1"
    try:
        evidence_set_public(actor=request.user, evidence=evidence, is_public=is_public)
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, (_("“%(name)s”已在公众门户公开。") if is_public else
                                   _("“%(name)s”已从公众门户撤下。")) % {"name": evidence.original_name})
    return redirect(_task_url(evidence.task) if evidence.task is not None else reverse("workbench"))


@login_required
@require_POST
def evidence_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    evidence = _visible_evidence(request, pk)
    task = evidence.task
    try:
        evidence_delete(actor=request.user, evidence=evidence)
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已删除“%(name)s”。") % {"name": evidence.original_name})
    return redirect(_task_url(task) if task is not None else reverse("workbench"))
