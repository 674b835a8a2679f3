"""API route of the task import (/api/v1/tasks/import…), in two steps as on the page "导入调度表":
POST the file (multipart) → the preview: what would be created, updated or left unchanged, or every bad
row with its row number and column, and — when the file is clean — a token; POST the token to
/confirm → the import, all or nothing. The parsing, the dry run and the import are the page's
(`task_import_parse`, `task_import_apply`); the form that checks the upload is the page's form too.

The upload waits between the two steps in the storage (as for the page), next to a small JSON record of
who uploaded it and with which choices: only the same user may confirm it, once."""

import json
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from zhenggai.accounts.models import Organization
from zhenggai.accounts.policies import CHANGE, MANAGE, get_for_user, user_can
from zhenggai.api.errors import ERROR_RESPONSES
from zhenggai.api.schemas import ApiRequest
from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.inspections.models import Plan

from .forms import TaskImportForm
from .task_import import ImportCounts, ImportFailed, Problem, task_import_apply, task_import_parse
from .views import STORAGE_DIR, TOKEN_RE, _changeable_plans, _may_import, _remove_stale_uploads

router = Router(tags=["报表与文书"])


# --- the uploads waiting for their confirmation (shared with the complaint import) ----------------------


def pending_save(*, user: Any, kind: str, data: bytes, meta: dict[str, Any]) -> str:
    """Keep an upload of `user` until it is confirmed; returns its token."""
    _remove_stale_uploads()
    token = uuid.uuid4().hex
    default_storage.save(f"{STORAGE_DIR}/api-{kind}-{token}", ContentFile(data))
    record = {**meta, "user": user.pk}
    default_storage.save(f"{STORAGE_DIR}/api-{kind}-{token}.json", ContentFile(json.dumps(record).encode()))
    return token


def pending_take(*, user: Any, kind: str, token: str) -> tuple[bytes, dict[str, Any]]:
    """The upload and its record, removed from the storage: it is confirmed once. Someone else's token,
    an unknown or an expired one all raise NotFound."""
    base = f"{STORAGE_DIR}/api-{kind}-{token}"
    if not TOKEN_RE.match(token) or not default_storage.exists(f"{base}.json") or not default_storage.exists(base):
        raise NotFound(_("预览已失效，请重新上传文件。"))
    with default_storage.open(f"{base}.json", "rb") as handle:
        record = json.loads(handle.read())
    if record.get("user") != user.pk:
        raise NotFound(_("预览已失效，请重新上传文件。"))
    with default_storage.open(base, "rb") as handle:
        data = handle.read()
    default_storage.delete(base)
    default_storage.delete(f"{base}.json")
    return data, record


def form_problem(form: Any) -> ValidationFailed:
    """The first error of the page's upload form, as the API's 422."""
    field, errors = next(iter(form.errors.items()))
    return ValidationFailed(" ".join(str(e) for e in errors), field=None if field == "__all__" else field)


class ImportProblemOut(Schema):
    """导入文件中的一个问题。"""

    row: int | None = Field(None, description="表格中的行号（从 1 起）；与某一行无关时为 null")
    column: str = Field(..., description="列的表头")
    letter: str = Field(..., description="列字母（如 C）；网页表格为空")
    message: str = Field(..., description="问题说明")


def problem_out(p: Problem | Any) -> dict[str, Any]:
    return {"row": p.row, "column": str(p.column or ""), "letter": str(getattr(p, "letter", "") or ""),
            "message": str(p.message)}


UPLOAD_BODY_PROPERTIES: dict[str, Any] = {
    "file": {"type": "string", "format": "binary", "description": "文件（.xlsx、.csv，最大 20 MB）"},
}


def upload_body(required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": required, "properties": properties}}}}}


# --- the task import ----------------------------------------------------------------------------------


class TaskImportOutcomeOut(Schema):
    number: int = Field(..., description="任务序号")
    title: str = Field(..., description="存在问题")
    status: str = Field(..., description="created 新增、updated 更新、unchanged 未变")
    measures: int = Field(..., description="整改措施条数")
    units: list[str] = Field(..., description="实施主体")


class TaskImportOut(Schema):
    """调度表导入的预览或结果。有问题时 ok 为 false，problems 列出每一个问题（行号、列、原因），什么也不导入。"""

    ok: bool = Field(..., description="文件没有问题（预览：可以确认导入；确认：已导入）")
    imported: bool = Field(..., description="是否已写入（预览时总为 false）")
    token: str | None = Field(None, description="预览无问题时的确认令牌，用于 /tasks/import/confirm；当天有效、只能用一次")
    plan_id: int = Field(..., description="导入到的整改方案编号")
    filename: str = Field(..., description="文件名")
    problems: list[ImportProblemOut] = Field(..., description="全部问题（按表格顺序）")
    unknown_units: list[str] = Field(..., description="系统中没有的单位名称（未选择自动新建时）")
    created: int = Field(0, description="新增任务数")
    updated: int = Field(0, description="更新任务数")
    unchanged: int = Field(0, description="未变任务数")
    not_in_file: int = Field(0, description="方案中文件未提到的任务数（保持不变）")
    units_created: list[str] = Field(..., description="将新建（或已新建）的单位")
    outcomes: list[TaskImportOutcomeOut] = Field(..., description="每项任务的结果")


class TaskImportConfirmIn(Schema):
    """确认导入预览过的文件。"""

    token: str = Field(..., pattern=r"^[0-9a-f]{32}$", description="预览答复中的 token")


def _task_out(*, plan: Plan, filename: str, problems: list[Any], counts: ImportCounts | None, imported: bool,
              token: str | None = None, unknown: list[str] | None = None) -> dict[str, Any]:
    return {
        "ok": not problems, "imported": imported and not problems, "token": token, "plan_id": plan.pk,
        "filename": filename, "problems": [problem_out(p) for p in problems], "unknown_units": unknown or [],
        "created": counts.created if counts else 0, "updated": counts.updated if counts else 0,
        "unchanged": counts.unchanged if counts else 0, "not_in_file": counts.not_in_file if counts else 0,
        "units_created": list(counts.units_created) if counts else [],
        "outcomes": [vars(o) for o in counts.outcomes] if counts else [],
    }


def _require_importer(user: Any) -> None:
    if not _may_import(user):
        raise PermissionDenied()


@router.post("/tasks/import", response={200: TaskImportOut, **ERROR_RESPONSES}, summary="导入调度表：上传与预览",
             openapi_extra=upload_body(["plan", "file"], {
                 **UPLOAD_BODY_PROPERTIES,
                 "plan": {"type": "integer", "minimum": 1, "description": "导入到的整改方案编号（本区域的方案）"},
                 "create_units": {"type": "boolean", "description": "自动新建表中系统里没有的单位"}}))
def task_import_preview(request: ApiRequest) -> Any:
    """督察整改办上传调度表（multipart/form-data：plan、file、create_units）：试导入后回滚，答复将新增、更新、
    未变的任务；有问题时列出全部问题（行号、列、原因），不给 token，什么也不导入。"""
    user = request.auth
    _require_importer(user)
    plans = _changeable_plans(user)
    plan_id = request.POST.get("plan", "")
    if plan_id.isdigit() and len(plan_id) < 10 and not plans.filter(pk=int(plan_id)).exists():
        get_for_user(user, Plan.objects.all(), pk=int(plan_id))  # hidden and missing plans: 404
        raise PermissionDenied()
    may_create_units = user_can(user, MANAGE, Organization)
    form = TaskImportForm(request.POST, request.FILES, plans=plans, may_create_units=may_create_units)
    if not form.is_valid():
        raise form_problem(form)
    plan = form.cleaned_data["plan"]
    create_units = bool(form.cleaned_data.get("create_units"))
    upload = form.cleaned_data["file"]
    data = upload.read()
    result = task_import_parse(data, filename=upload.name, plan=plan)
    problems: list[Any] = result.problems_for(create_units=create_units)
    counts = None
    if not problems:
        try:
            counts = task_import_apply(actor=user, plan=plan, result=result, dry_run=True, create_units=create_units)
        except ImportFailed as failure:
            problems = failure.problems
    unknown = [] if create_units else sorted(result.unknown_units)
    token = None if problems else pending_save(user=user, kind="tasks", data=data, meta={
        "plan": plan.pk, "filename": upload.name, "create_units": create_units})
    return _task_out(plan=plan, filename=upload.name, problems=problems, counts=counts, imported=False, token=token,
                     unknown=unknown if problems else [])


@router.post("/tasks/import/confirm", response={200: TaskImportOut, **ERROR_RESPONSES}, summary="导入调度表：确认")
def task_import_confirm(request: ApiRequest, payload: TaskImportConfirmIn) -> Any:
    """导入预览过的文件，全部成功才写入；期间情况有变而出现问题时，列出问题，什么也不导入。令牌只能用一次。"""
    user = request.auth
    _require_importer(user)
    data, record = pending_take(user=user, kind="tasks", token=payload.token)
    plan = get_for_user(user, Plan.objects.select_related("inspection__target_region"), pk=record["plan"])
    if not user_can(user, CHANGE, plan):
        raise PermissionDenied()
    result = task_import_parse(data, filename=record["filename"], plan=plan)
    try:
        counts = task_import_apply(actor=user, plan=plan, result=result, create_units=record["create_units"])
    except ImportFailed as failure:
        return _task_out(plan=plan, filename=record["filename"], problems=failure.problems, counts=None,
                         imported=False)
    return _task_out(plan=plan, filename=record["filename"], problems=[], counts=counts, imported=True)
