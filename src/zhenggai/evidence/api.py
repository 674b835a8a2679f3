"""API routes of evidence files (/api/v1/tasks/{id}/evidence, /api/v1/evidence/{id}…). They call the same
selectors and services as the evidence pages: uploads go through `evidence_create_many` (all or nothing,
every refused file named), downloads through the same scope and headers as the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import FileResponse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.policies import get_for_user
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS, ErrorOut
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, UnitRef, id_path, unit_ref
from zhenggai.core.errors import NotFound, ValidationFailed
from zhenggai.rectification.models import Task
from zhenggai.reports.xlsx import attachment_disposition

from .files import max_bytes, too_big_message
from .models import Evidence, EvidenceCategory
from .policies import may_delete
from .selectors import evidence_for_task, evidence_get_for_user
from .services import (
    EvidenceRefused,
    evidence_check_files,
    evidence_check_upload,
    evidence_create_many,
    evidence_delete,
    evidence_set_public,
    max_files,
)
from .uploads import EvidenceUploadLimit
from .views import _file_response

router = Router(tags=["佐证材料"])

CategoryValue = Literal["before_photo", "after_photo", "monitoring", "penalty", "minutes", "policy", "statement",
                        "acceptance", "other"]
assert set(CategoryValue.__args__) == set(EvidenceCategory.values)  # type: ignore[attr-defined]


class EvidenceOut(Schema):
    """佐证材料：一个上传的文件及其元数据。"""

    id: int = Field(..., description="佐证材料编号")
    task_id: int | None = Field(None, description="所属整改任务编号")
    category: str = Field(..., description="类别：before_photo 整改前照片、after_photo 整改后照片、monitoring 监测报告…")
    category_label: str = Field(..., description="类别（用户语言）")
    description: str = Field(..., description="说明")
    original_name: str = Field(..., description="原文件名")
    content_type: str = Field(..., description="文件类型（按内容识别）")
    size: int = Field(..., description="大小（字节）")
    sha256: str = Field(..., description="SHA-256 摘要")
    uploaded_at: dt.datetime = Field(..., description="上传时间")
    uploaded_by: str = Field(..., description="上传人")
    unit: UnitRef | None = Field(None, description="上传单位")
    captured_at: dt.datetime | None = Field(None, description="拍摄时间（照片自带时）")
    gps_lat: Decimal | None = Field(None, description="纬度（照片自带时）")
    gps_lon: Decimal | None = Field(None, description="经度（照片自带时）")
    is_public: bool = Field(..., description="是否在公众门户公开（仅限整改前后照片）")
    has_thumbnail: bool = Field(..., description="是否有缩略图")
    may_delete: bool = Field(..., description="当前用户能否删除或更改公开设置（上传人或督察整改办）")


class EvidencePublicIn(Schema):
    """在公众门户公开或撤下一张照片。"""

    is_public: bool = Field(..., description="true 公开，false 撤下")


class EvidenceDeletedOut(Schema):
    """删除结果。"""

    id: int = Field(..., description="已删除的佐证材料编号")
    deleted: bool = Field(..., description="总为 true")


def evidence_out(evidence: Evidence, user: Any, *, deletable: bool | None = None) -> dict[str, Any]:
    """The API form of one evidence row (also used by other apps' routes). `deletable` is
    `policies.may_delete(user, evidence)` when the caller already knows it."""
    uploader = evidence.uploaded_by
    return {
        "id": evidence.pk, "task_id": evidence.task_id, "category": evidence.category,
        "category_label": str(evidence.get_category_display()), "description": evidence.description,
        "original_name": evidence.original_name, "content_type": evidence.content_type, "size": evidence.size,
        "sha256": evidence.sha256, "uploaded_at": evidence.uploaded_at,
        "uploaded_by": (uploader.get_full_name() or uploader.get_username()) if uploader else "",
        "unit": unit_ref(evidence.organization), "captured_at": evidence.captured_at,
        "gps_lat": evidence.gps_lat, "gps_lon": evidence.gps_lon, "is_public": evidence.is_public,
        "has_thumbnail": bool(evidence.thumbnail),
        "may_delete": may_delete(user, evidence) if deletable is None else deletable,
    }


def _evidence(request: ApiRequest, evidence_id: int) -> Evidence:
    return evidence_get_for_user(request.auth, evidence_id)


def _detail(request: ApiRequest, evidence_id: int) -> dict[str, Any]:
    evidence = Evidence.objects.select_related("task__region", "organization", "uploaded_by").get(pk=evidence_id)
    return evidence_out(evidence, request.auth)


class _Rows:
    """One task's evidence, rendered a page at a time. `may_delete` depends on the task and on whether the
    user uploaded the file, so the policy is asked once per page for each of the two cases."""

    def __init__(self, queryset: Any, user: Any, task: Task) -> None:
        self.queryset, self.user, self.task = queryset, user, task

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        answers: dict[bool, bool] = {}
        rows = []
        for evidence in self.queryset[item]:
            evidence.task = self.task
            own = evidence.uploaded_by_id == self.user.pk
            if own not in answers:
                answers[own] = may_delete(self.user, evidence)
            rows.append(evidence_out(evidence, self.user, deletable=answers[own]))
        return rows


_UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object",
        "required": ["files", "category"],
        "properties": {
            "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                      "description": "文件（可重复，一次最多 20 个；照片、视频、PDF、Office 文档）"},
            "category": {"type": "string", "enum": list(EvidenceCategory.values), "description": "类别"},
            "description": {"type": "string", "maxLength": 255, "description": "说明（可选）"},
            "is_public": {"type": "boolean", "description": "在公众门户公开（仅限整改前后照片）"},
        },
    }}},
}
_FILE_200 = {"200": {"description": "文件本身（作为附件下载）",
                     "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


@router.get("/tasks/{task_id}/evidence", response={200: list[EvidenceOut], **READ_ERRORS}, summary="任务的佐证材料")
@paginate(Pages)
def evidence_list(request: ApiRequest, task_id: int = id_path("任务编号")) -> Any:
    """该任务中当前用户可见的佐证材料，最新的在前（同任务页“佐证材料”）。"""
    task = get_for_user(request.auth, Task.objects.select_related("region"), pk=task_id)
    return _Rows(evidence_for_task(request.auth, task), request.auth, task)


@router.post("/tasks/{task_id}/evidence", response={201: list[EvidenceOut], **ERROR_RESPONSES, 507: ErrorOut},
             summary="上传佐证材料", openapi_extra={"requestBody": _UPLOAD_BODY})
def evidence_upload(request: ApiRequest, task_id: int = id_path("任务编号")) -> Any:
    """multipart/form-data 上传一个或多个文件（字段 files 可重复）。全部通过检查才保存，否则一个也不保存，
    以 422（code evidence_refused）逐一说明每个被拒绝的文件，与上传页面相同。服务器存储空间已满时答复 507
    （code storage_full），什么也不保存。"""
    user = request.auth
    task = get_for_user(user, Task.objects.select_related("plan__inspection", "region"), pk=task_id)
    evidence_check_upload(actor=user, task=task)  # 403 before the files are read, as the page
    handler = EvidenceUploadLimit(request, max_bytes=max_bytes(), max_files=max_files())
    limit: EvidenceUploadLimit | None = handler
    try:
        request.upload_handlers = [handler, *request.upload_handlers]
    except AttributeError:  # the body was already parsed (e.g. by the CSRF check): the service checks sizes
        limit = None
    data, files = request.POST, request.FILES.getlist("files")
    category = data.get("category", "")
    is_public = (data.get("is_public") or "").lower() in ("1", "true", "on", "yes")
    if category not in EvidenceCategory.values:
        raise ValidationFailed(_("请选择佐证材料类别。"), field="category")
    if limit is not None and limit.too_many:
        raise ValidationFailed(_("一次最多上传 %(n)s 个文件。") % {"n": max_files()}, field="files")
    if limit is not None and limit.too_big:
        refused = [too_big_message(name) for name in limit.too_big]
        raise EvidenceRefused(refused + evidence_check_files(files=files, is_public=is_public))
    if not files:
        raise ValidationFailed(_("请选择要上传的文件。"), field="files")
    stored = evidence_create_many(actor=user, task=task, files=files, category=category,
                                  description=data.get("description", ""), is_public=is_public)
    rows = Evidence.objects.filter(pk__in=[e.pk for e in stored]).select_related("organization", "uploaded_by")
    return Status(201, [evidence_out(e, user) for e in rows.order_by("id")])


@router.get("/evidence/{evidence_id}", response={200: EvidenceOut, **READ_ERRORS}, summary="佐证材料详情")
def evidence_detail(request: ApiRequest, evidence_id: int = id_path("佐证材料编号")) -> Any:
    """不可见与不存在的材料同样答复 404。"""
    return evidence_out(_evidence(request, evidence_id), request.auth)


@router.get("/evidence/{evidence_id}/download", response=READ_ERRORS, summary="下载佐证材料",
            openapi_extra={"responses": _FILE_200})
def evidence_download(request: ApiRequest, evidence_id: int = id_path("佐证材料编号")) -> FileResponse:
    """原文件，按记录的文件类型、以原文件名作为附件返回（Content-Disposition: attachment，
    X-Content-Type-Options: nosniff），与页面下载相同。"""
    evidence = _evidence(request, evidence_id)
    if not evidence.file or not evidence.file.name:
        raise NotFound()
    return _file_response(request, evidence.file, evidence.content_type or "application/octet-stream",
                          attachment_disposition(evidence.original_name))


@router.get("/evidence/{evidence_id}/thumbnail", response=READ_ERRORS, summary="佐证照片缩略图",
            openapi_extra={"responses": {"200": {"description": "320 像素 JPEG 缩略图", "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}}}}}})
def evidence_thumbnail(request: ApiRequest, evidence_id: int = id_path("佐证材料编号")) -> FileResponse:
    """照片的缩略图（inline）；没有缩略图的材料答复 404，同页面。"""
    evidence = _evidence(request, evidence_id)
    if not evidence.thumbnail or not evidence.thumbnail.name:
        raise NotFound()
    return _file_response(request, evidence.thumbnail, "image/jpeg", 'inline; filename="thumbnail.jpg"')


@router.post("/evidence/{evidence_id}/public", response={200: EvidenceOut, **ERROR_RESPONSES},
             summary="公开或撤下照片")
def evidence_public(request: ApiRequest, payload: EvidencePublicIn, evidence_id: int = id_path("佐证材料编号")) -> Any:
    """上传人或督察整改办：整改前后照片在公众门户公开，或撤下（撤下总是可以）。"""
    evidence = evidence_set_public(actor=request.auth, evidence=_evidence(request, evidence_id),
                                   is_public=payload.is_public)
    return _detail(request, evidence.pk)


@router.delete("/evidence/{evidence_id}", response={200: EvidenceDeletedOut, **ERROR_RESPONSES}, summary="删除佐证材料")
def evidence_delete_api(request: ApiRequest, evidence_id: int = id_path("佐证材料编号")) -> Any:
    """上传人或督察整改办；已作为进展、验收申请或验收意见佐证的材料不能删除（409）。"""
    evidence_delete(actor=request.auth, evidence=_evidence(request, evidence_id))
    return {"id": evidence_id, "deleted": True}

