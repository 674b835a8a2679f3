"""Import of the dispatch table (upload → preview → confirm) and the dispatch-ledger download."""

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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from zhenggai.accounts.models import Organization, Role
from zhenggai.accounts.policies import CHANGE, MANAGE, scope_for, user_can, user_has_role
from zhenggai.core.errors import PermissionDenied
from zhenggai.core.views_util import get_scoped_or_404
from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import Task

from .forms import TaskImportForm
from .task_export import ledger_filename, ledger_write
from .task_import import ImportFailed, Problem, task_import_apply, task_import_parse
from .xlsx import XLSX_TYPE, attachment_disposition

SESSION_KEY = "task_imports"
STORAGE_DIR = "imports"
STALE_AFTER = dt.timedelta(days=1)
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def _may_import(user: Any) -> bool:
    return bool(user.is_superuser or user_has_role(user, Role.OFFICE))


def _changeable_plans(user: Any) -> Any:
    visible = scope_for(user, Plan.objects.select_related("inspection__target_region"))
    ids = [plan.pk for plan in visible if user_can(user, CHANGE, plan)]
    return Plan.objects.filter(pk__in=ids).select_related("inspection").order_by("-inspection__start_date", "id")


def _forget(request: HttpRequest, token: str) -> None:
    pending = request.session.get(SESSION_KEY, {})
    entry = pending.pop(token, None)
    request.session[SESSION_KEY] = pending
    if entry:
        default_storage.delete(entry["path"])


def _remove_stale_uploads() -> None:
    """Uploads previewed but never confirmed are removed after a day."""
    try:
        _dirs, files = default_storage.listdir(STORAGE_DIR)
        limit = timezone.now() - STALE_AFTER
        for name in files:
            path = f"{STORAGE_DIR}/{name}"
            if default_storage.get_modified_time(path) < limit:
                default_storage.delete(path)
    except (FileNotFoundError, NotImplementedError, OSError):
        pass


def _render(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "reports/task_import.html", context, status=status)


@login_required
def task_import(request: HttpRequest) -> HttpResponse:
    """Office only. GET: the upload form. POST with a file: parse and dry-run, show what would be created,
    updated or left unchanged — or every problem with its row and column. POST with the token of a
    previewed upload: import it for real, then go to the plan."""
    user = request.user
    if not _may_import(user):
        raise DjangoPermissionDenied
    plans = _changeable_plans(user)
    may_create_units = user_can(user, MANAGE, Organization)
    if request.method == "POST" and "token" in request.POST:
        return _confirm(request, request.POST["token"])

    initial = {}
    if request.GET.get("plan", "").isdigit():
        initial["plan"] = plans.filter(pk=int(request.GET["plan"])).first()
    form = TaskImportForm(request.POST or None, request.FILES or None, plans=plans,
                          may_create_units=may_create_units, initial=initial)
    if request.method != "POST" or not form.is_valid():
        return _render(request, {"form": form}, status=400 if request.method == "POST" else 200)

    plan = form.cleaned_data["plan"]
    create_units = bool(form.cleaned_data.get("create_units"))
    upload = form.cleaned_data["file"]
    data = upload.read()
    result = task_import_parse(io.BytesIO(data), filename=upload.name, plan=plan)
    problems = result.problems_for(create_units=create_units)
    counts = None
    if not problems:
        try:
            counts = task_import_apply(actor=user, plan=plan, result=result, dry_run=True, create_units=create_units)
        except ImportFailed as failure:
            problems = failure.problems
        except PermissionDenied as error:
            problems = [Problem(None, "", str(error.message))]
    context: dict[str, Any] = {"form": form, "plan": plan, "filename": upload.name, "result": result,
                               "problems": problems, "counts": counts, "create_units": create_units}
    if problems:
        context["unknown_units"] = [] if create_units else sorted(result.unknown_units)
        return _render(request, context)

    _remove_stale_uploads()
    token = uuid.uuid4().hex
    path = default_storage.save(f"{STORAGE_DIR}/{token}", ContentFile(data))
    pending = request.session.get(SESSION_KEY, {})
    pending[token] = {"path": path, "filename": upload.name, "plan": plan.pk, "create_units": create_units}
    request.session[SESSION_KEY] = pending
    context["token"] = token
    return _render(request, context)


def _confirm(request: HttpRequest, token: str) -> HttpResponse:
    entry = request.session.get(SESSION_KEY, {}).get(token) if TOKEN_RE.match(token) else None
    if entry is None or not default_storage.exists(entry["path"]):
        messages.error(request, _("预览已失效，请重新上传文件。"))
        return redirect("task_import")
    user = request.user
    plan = get_scoped_or_404(user, Plan.objects.select_related("inspection__target_region"), pk=entry["plan"])
    if not user_can(user, CHANGE, plan):
        raise DjangoPermissionDenied
    with default_storage.open(entry["path"], "rb") as stored:
        data = stored.read()
    try:
        result = task_import_parse(io.BytesIO(data), filename=entry["filename"], plan=plan)
        counts = task_import_apply(actor=user, plan=plan, result=result, create_units=entry["create_units"])
    except ImportFailed as failure:
        problems = failure.problems
    except PermissionDenied as error:
        problems = [Problem(None, "", str(error.message))]
    else:
        messages.success(request, _("导入完成：新增 %(created)s 项，更新 %(updated)s 项，未变 %(unchanged)s 项。") % {
            "created": counts.created, "updated": counts.updated, "unchanged": counts.unchanged})
        if counts.units_created:
            messages.info(request, _("已新建单位：%(names)s。") % {"names": "、".join(counts.units_created)})
        return redirect("plan_detail", pk=plan.pk)
    finally:
        _forget(request, token)
    form = TaskImportForm(plans=_changeable_plans(user), may_create_units=user_can(user, MANAGE, Organization),
                          initial={"plan": plan})
    return _render(request, {"form": form, "plan": plan, "filename": entry["filename"], "problems": problems})


@login_required
@require_GET
def ledger_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's dispatch ledger as .xlsx, with the tasks the user may see."""
    plan = get_scoped_or_404(request.user, Plan.objects.all(), pk=pk)
    tasks = scope_for(request.user, Task.objects.filter(plan=plan))
    buffer = io.BytesIO()  # holds the compressed file only: the rows are streamed into it
    ledger_write(plan=plan, tasks=tasks, target=buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = attachment_disposition(ledger_filename(plan), f"ledger-{plan.pk}.xlsx")
    response["X-Content-Type-Options"] = "nosniff"
    return response
