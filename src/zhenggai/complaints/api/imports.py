"""API route of the complaint import (/api/v1/complaints/import…), in two steps as on the page "导入信访件":
POST the file (multipart: inspection, batch, handed_over, file) → the preview (the cases that would be
created, updated or left unchanged, or every bad row with its row number) and, for a clean file, a token;
POST the token to /confirm → the import, all or nothing. Parsing, dry run, import and the upload form are
the page's (`complaint_import_parse`, `complaint_import_apply`, `ComplaintImportForm`)."""

import datetime as dt
from typing import Any

from ninja import Field, Router, Schema

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import get_for_user, user_has_role
from zhenggai.api.errors import ERROR_RESPONSES
from zhenggai.api.schemas import ApiRequest
from zhenggai.core.errors import PermissionDenied
from zhenggai.inspections.models import Inspection
from zhenggai.reports.api_import import (
    ImportProblemOut,
    form_problem,
    pending_save,
    pending_take,
    problem_out,
    upload_body,
)

from ..complaint_import import (
    ComplaintImportCounts,
    ComplaintImportFailed,
    complaint_import_apply,
    complaint_import_parse,
    may_import_complaints,
)
from ..import_forms import ComplaintImportForm
from ..import_views import _changeable_inspections

router = Router(tags=["信访件"])


class ComplaintImportOutcomeOut(Schema):
    row: int = Field(..., description="表格中的行号")
    number: str = Field(..., description="受理编号")
    is_priority: bool = Field(..., description="重点件")
    summary: str = Field(..., description="交办问题基本情况")
    region: str = Field(..., description="行政区域")
    region_matched: bool = Field(..., description="行政区域已对应到系统中的区域")
    types: list[str] = Field(..., description="污染类型")
    subtypes: list[str] = Field(..., description="污染类型细类")
    status: str = Field(..., description="created 新增、updated 更新、unchanged 未变")


class ComplaintImportOut(Schema):
    """信访件导入的预览或结果。有问题时 ok 为 false，problems 列出每一个问题（行号、列、原因），什么也不导入。"""

    ok: bool = Field(..., description="文件没有问题（预览：可以确认导入；确认：已导入）")
    imported: bool = Field(..., description="是否已写入（预览时总为 false）")
    token: str | None = Field(None, description="预览无问题时的确认令牌，用于 /complaints/import/confirm；只能用一次")
    inspection_id: int = Field(..., description="督察编号")
    batch: int = Field(..., description="交办批次（第几批）")
    handed_over: dt.date = Field(..., description="交办日期")
    filename: str = Field(..., description="文件名")
    problems: list[ImportProblemOut] = Field(..., description="全部问题（按表格顺序）")
    created: int = Field(0, description="新增件数")
    updated: int = Field(0, description="更新件数")
    unchanged: int = Field(0, description="未变件数")
    batch_created: bool = Field(False, description="将新建（或已新建）该交办批次")
    outcomes: list[ComplaintImportOutcomeOut] = Field(..., description="每件的结果")


class ComplaintImportConfirmIn(Schema):
    """确认导入预览过的文件。"""

    token: str = Field(..., pattern=r"^[0-9a-f]{32}$", description="预览答复中的 token")


def _out(*, inspection: Inspection, batch: int, handed_over: dt.date, filename: str, problems: list[Any],
         counts: ComplaintImportCounts | None, imported: bool, token: str | None = None) -> dict[str, Any]:
    return {
        "ok": not problems, "imported": imported and not problems, "token": token, "inspection_id": inspection.pk,
        "batch": batch, "handed_over": handed_over, "filename": filename,
        "problems": [problem_out(p) for p in problems],
        "created": counts.created if counts else 0, "updated": counts.updated if counts else 0,
        "unchanged": counts.unchanged if counts else 0, "batch_created": bool(counts and counts.batch_created),
        "outcomes": [vars(o) for o in counts.outcomes] if counts else [],
    }


def _require_office(user: Any) -> None:
    if not user_has_role(user, Role.OFFICE):
        raise PermissionDenied()


@router.post("/complaints/import", response={200: ComplaintImportOut, **ERROR_RESPONSES},
             summary="导入信访件：上传与预览", openapi_extra=upload_body(["inspection", "batch", "handed_over", "file"], {
                 "inspection": {"type": "integer", "minimum": 1, "description": "督察编号（本区域的督察）"},
                 "batch": {"type": "integer", "minimum": 1, "maximum": 9999, "description": "交办批次（第几批）"},
                 "handed_over": {"type": "string", "format": "date", "description": "交办日期"},
                 "file": {"type": "string", "format": "binary",
                          "description": "信访件表格（.xlsx、.csv 或保存的网页 .html，最大 20 MB）"}}))
def complaint_import_preview(request: ApiRequest) -> Any:
    """督察整改办上传信访件表格：试导入后回滚，答复将新增、更新、未变的信访件；有问题时列出全部问题
    （行号、列、原因），不给 token，什么也不导入。"""
    user = request.auth
    _require_office(user)
    inspections = _changeable_inspections(user)
    inspection_id = request.POST.get("inspection", "")
    if inspection_id.isdigit() and len(inspection_id) < 10 and not inspections.filter(pk=int(inspection_id)).exists():
        get_for_user(user, Inspection.objects.all(), pk=int(inspection_id))  # hidden and missing: 404
        raise PermissionDenied()
    form = ComplaintImportForm(request.POST, request.FILES, inspections=inspections)
    if not form.is_valid():
        raise form_problem(form)
    inspection, batch = form.cleaned_data["inspection"], form.cleaned_data["batch"]
    handed_over, upload = form.cleaned_data["handed_over"], form.cleaned_data["file"]
    data = upload.read()
    result = complaint_import_parse(data, filename=upload.name, inspection=inspection)
    problems: list[Any] = list(result.problems)
    counts = None
    if not problems:
        try:
            counts = complaint_import_apply(actor=user, inspection=inspection, batch_number=batch,
                                            handed_over=handed_over, result=result, dry_run=True)
        except ComplaintImportFailed as failure:
            problems = failure.problems
    token = None if problems else pending_save(user=user, kind="complaints", data=data, meta={
        "inspection": inspection.pk, "batch": batch, "handed_over": handed_over.isoformat(), "filename": upload.name})
    return _out(inspection=inspection, batch=batch, handed_over=handed_over, filename=upload.name, problems=problems,
                counts=counts, imported=False, token=token)


@router.post("/complaints/import/confirm", response={200: ComplaintImportOut, **ERROR_RESPONSES},
             summary="导入信访件：确认")
def complaint_import_confirm(request: ApiRequest, payload: ComplaintImportConfirmIn) -> Any:
    """导入预览过的文件，全部成功才写入；期间情况有变而出现问题时，列出问题，什么也不导入。令牌只能用一次。"""
    user = request.auth
    _require_office(user)
    data, record = pending_take(user=user, kind="complaints", token=payload.token)
    inspection = get_for_user(user, Inspection.objects.select_related("target_region"), pk=record["inspection"])
    if not may_import_complaints(user, inspection):
        raise PermissionDenied()
    handed_over = dt.date.fromisoformat(record["handed_over"])
    common = {"inspection": inspection, "batch": record["batch"], "handed_over": handed_over,
              "filename": record["filename"]}
    result = complaint_import_parse(data, filename=record["filename"], inspection=inspection)
    try:
        counts = complaint_import_apply(actor=user, inspection=inspection, batch_number=record["batch"],
                                        handed_over=handed_over, result=result)
    except ComplaintImportFailed as failure:
        return _out(**common, problems=failure.problems, counts=None, imported=False)
    return _out(**common, problems=[], counts=counts, imported=True)
