"""API routes of complaint cases (/api/v1/complaints…): the list with the page's filters, a case, and its
handling — assign, handle, submit, approve / return, evidence, repeats and merges. They parse input, call
the same selectors and services as the pages and render; the rules live in `selectors`, `services` and
`policies`. Text is masked (`redaction.mask_text`) for everybody but the office, as in the pages, and
the complainant appears only where the case page shows it (`policies.may_see_complainant`)."""


import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from zhenggai.accounts.models import Organization
from zhenggai.accounts.policies import get_for_user, scope_for
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, EventOut, Id, RegionRef, Text, UnitRef, id_path, unit_ref
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.events import chain_key_for
from zhenggai.core.models import Event
from zhenggai.evidence.models import EvidenceCategory

from .. import policies, services
from ..models import Complaint, ComplaintStatus, PollutionType, ReviewStatus, Truthfulness
from ..redaction import mask_text
from ..selectors import (
    SORTS,
    ComplaintFilters,
    complainant_for_user,
    complaint_detail_for_user,
    complaint_list_for_user,
    evidence_for_complaint,
)
from ..statistics import COUNTER_FIELDS

router = Router(tags=["信访件"])

ComplaintSort = Literal["number", "deadline", "warning", "status", "updated"]
StatusFilter = Literal["open", "received", "investigating", "stage_done", "done"]
TypeValue = Literal["water", "air", "soil", "solid_waste", "noise", "ecology", "radiation", "marine", "other"]
TruthValue = Literal["true", "mostly_true", "partly_true", "false"]
HandlingStatus = Literal["investigating", "stage_done", "done"]
CategoryValue = Literal["before_photo", "after_photo", "monitoring", "penalty", "minutes", "policy", "statement",
                        "acceptance", "other"]
assert set(ComplaintSort.__args__) == set(SORTS)  # type: ignore[attr-defined]
assert set(StatusFilter.__args__) == {"open", *ComplaintStatus.values}  # type: ignore[attr-defined]
assert set(TypeValue.__args__) == set(PollutionType.values)  # type: ignore[attr-defined]
assert set(TruthValue.__args__) == set(Truthfulness.values)  # type: ignore[attr-defined]
assert set(CategoryValue.__args__) == set(EvidenceCategory.values)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- schemas


class ComplaintQuery(Schema):
    """信访件清单的筛选与排序，与“信访件”页面的筛选相同。"""

    inspection: Id | None = Field(None, description="督察编号")
    batch: Id | None = Field(None, description="交办批次编号")
    status: StatusFilter | None = Field(None, description="办理状态；open 表示未办结（含阶段性办结）")
    region: Id | None = Field(None, description="行政区域编号（含下级区域）")
    type: TypeValue | None = Field(None, description="污染类型")
    priority: bool = Field(False, description="只看重点件")
    warning: Literal["red", "yellow", "green"] | None = Field(None, description="预警：red 红灯、yellow 黄牌、green 正常")
    unit: Id | None = Field(None, description="单位编号：该单位（含下级单位）牵头或配合办理的信访件")
    q: Text | None = Field(None, max_length=100, description="关键词（分词检索交办问题基本情况等）或受理编号")
    sort: ComplaintSort = Field("number", description="排序：number、deadline、warning、status、updated")

    def to_filters(self) -> ComplaintFilters:
        params = {k: ("" if v is None else str(v)) for k, v in self.dict().items()}
        params["priority"] = "1" if self.priority else ""
        return ComplaintFilters.from_query(params)


class ComplainantOut(Schema):
    """信访人（仅督察整改办可见）。"""

    name: str = Field(..., description="姓名")
    contact: str = Field(..., description="联系方式")
    id_number: str = Field(..., description="身份证号")


class ComplaintOut(Schema):
    """信访件（清单中的一行）。非督察整改办用户看到的文字已隐去电话、身份证号和邮箱。"""

    id: int = Field(..., description="信访件编号（系统内）")
    inspection_id: int = Field(..., description="督察编号")
    batch_id: int = Field(..., description="交办批次编号")
    batch_number: int = Field(..., description="批次（第几批）")
    sequence: int = Field(..., description="序号（批次内）")
    acceptance_number: str = Field(..., description="受理编号")
    is_priority: bool = Field(..., description="是否重点件")
    summary: str = Field(..., description="交办问题基本情况")
    region: RegionRef | None = Field(None, description="行政区域")
    region_text: str = Field(..., description="行政区域（原文）")
    pollution_types: list[str] = Field(..., description="污染类型代码")
    lead_unit: UnitRef | None = Field(None, description="牵头办理单位")
    cooperating_units: list[UnitRef] = Field(..., description="配合单位")
    reply_deadline: dt.date = Field(..., description="反馈期限")
    status: str = Field(..., description="办理状态：received 已交办、investigating 办理中、stage_done 阶段性办结、done 已办结")
    status_label: str = Field(..., description="办理状态（用户语言）")
    review_status: str = Field(..., description="审核状态：draft 办理中、submitted 待审核、approved 审核通过、returned 退回修改")
    warning: str = Field(..., description="预警：red 红灯、yellow 黄牌、green 正常")
    repeat_of_id: int | None = Field(None, description="重复关联件编号")
    merged_into_id: int | None = Field(None, description="合并至（主件编号）")
    published: bool = Field(..., description="是否已公开")
    version: int = Field(..., description="版本号：每次修改加一")
    updated_at: dt.datetime = Field(..., description="最后修改时间")


class EvidenceRef(Schema):
    """佐证材料（信访件的）。"""

    id: int = Field(..., description="佐证材料编号")
    filename: str = Field(..., description="文件名")
    category: str = Field(..., description="类别代码")
    content_type: str = Field(..., description="文件类型")
    size: int = Field(..., description="大小（字节）")
    uploaded_at: dt.datetime = Field(..., description="上传时间")
    unit: UnitRef | None = Field(None, description="上传单位")


class ComplaintDetailOut(ComplaintOut):
    """信访件详情：办理情况、执法计数、审核、佐证材料，以及当前用户可执行的操作（与页面按钮相同）。"""

    investigation: str = Field(..., description="调查核实情况")
    truthfulness: str = Field(..., description="是否属实代码：true 属实、mostly_true 基本属实、partly_true 部分属实、false 不属实；未填为空")
    handling_goal: str = Field(..., description="办结目标")
    handling: str = Field(..., description="处理和整改情况")
    accountability: str = Field(..., description="责任人被处理情况")
    remarks: str = Field(..., description="备注")
    done_at: dt.date | None = Field(None, description="办结日期")
    review_note: str = Field(..., description="审核意见")
    counters: dict[str, Decimal] = Field(..., description="执法计数：ordered_rectify 责令整改（家）、penalized 立案处罚（家）、"
                                                         "fine_amount 罚款金额（元）、investigated 立案侦查（件）、"
                                                         "admin_detained 行政拘留（人）、criminal_detained 刑事拘留（人）、"
                                                         "interviewed 约谈（人）、held_accountable 问责（人）、"
                                                         "leads_transferred 移送问题线索（件）")
    complainant: ComplainantOut | None = Field(None, description="信访人：仅督察整改办可见，其他用户为 null")
    evidence: list[EvidenceRef] = Field(..., description="佐证材料")
    actions: list[str] = Field(..., description="当前用户可执行的操作：assign、handle、submit、review、link（同页面）")


class AssignIn(Schema):
    """交办（督察整改办）。"""

    lead_unit: Id = Field(..., description="牵头办理单位编号")
    cooperating_units: list[Id] = Field(default_factory=list, max_length=50, description="配合单位编号")


class HandleIn(Schema):
    """填写办理情况（牵头办理单位或督察整改办）：只写需要修改的字段，未写的保持不变。"""

    investigation: Text | None = Field(None, max_length=20000, description="调查核实情况")
    truthfulness: TruthValue | None = Field(None, description="是否属实；不属实的须先上传佐证材料")
    handling_goal: Text | None = Field(None, max_length=20000, description="办结目标")
    handling: Text | None = Field(None, max_length=20000, description="处理和整改情况")
    status: HandlingStatus | None = Field(None, description="是否办结：investigating 未办结、stage_done 阶段性办结、done 已办结")
    done_at: dt.date | None = Field(None, description="办结日期（已办结时；不填为今天）")
    accountability: Text | None = Field(None, max_length=20000, description="责任人被处理情况")
    remarks: Text | None = Field(None, max_length=20000, description="备注")
    ordered_rectify: int | None = Field(None, ge=0, le=1_000_000, description="责令整改（家）")
    penalized: int | None = Field(None, ge=0, le=1_000_000, description="立案处罚（家）")
    fine_amount: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"), decimal_places=2,
                                        description="罚款金额（元）")
    investigated: int | None = Field(None, ge=0, le=1_000_000, description="立案侦查（件）")
    admin_detained: int | None = Field(None, ge=0, le=1_000_000, description="行政拘留（人）")
    criminal_detained: int | None = Field(None, ge=0, le=1_000_000, description="刑事拘留（人）")
    interviewed: int | None = Field(None, ge=0, le=1_000_000, description="约谈（人）")
    held_accountable: int | None = Field(None, ge=0, le=1_000_000, description="问责（人）")
    leads_transferred: int | None = Field(None, ge=0, le=1_000_000, description="移送问题线索（件）")


class ReturnIn(Schema):
    """退回修改（督察整改办）。"""

    note: Text = Field(..., max_length=5000, description="退回理由（必填）")


class ApproveIn(Schema):
    """审核通过（督察整改办）。"""

    note: Text = Field("", max_length=5000, description="审核意见（可选）")


class LinkIn(Schema):
    """关联重复件、合并办理或取消重复关联（督察整改办），同页面。"""

    action: Literal["repeat", "merge", "unlink"] = Field(..., description="repeat 关联为重复件、merge 合并办理、unlink 取消重复关联")
    other: Id | None = Field(None, description="另一件的编号（repeat、merge 必填）")


class EvidenceUploadOut(Schema):
    """已上传的佐证材料。"""

    items: list[EvidenceRef] = Field(..., description="本次上传的文件")


# ---------------------------------------------------------------- helpers


def sees_raw_text(user: Any) -> bool:
    """As the list page: the office (and superusers) read text unmasked."""
    from ..views import sees_raw_text as page_rule

    return page_rule(user)


def _shown(text: str, raw: bool) -> str:
    return text if raw else mask_text(text)


def _out(c: Complaint, *, raw: bool) -> dict[str, Any]:
    return {
        "id": c.pk, "inspection_id": c.inspection_id, "batch_id": c.batch_id, "batch_number": c.batch.number,
        "sequence": c.sequence, "acceptance_number": c.acceptance_number, "is_priority": c.is_priority,
        "summary": _shown(c.summary, raw),
        "region": {"id": c.region.pk, "name": c.region.name} if c.region else None,
        "region_text": c.region_text, "pollution_types": list(c.pollution_types or []),
        "lead_unit": unit_ref(c.lead_unit), "cooperating_units": [unit_ref(u) for u in c.cooperating_units.all()],
        "reply_deadline": c.reply_deadline, "status": c.status, "status_label": str(c.get_status_display()),
        "review_status": c.review_status, "warning": str(getattr(c, "warning", "") or "green"),
        "repeat_of_id": c.repeat_of_id, "merged_into_id": c.merged_into_id, "published": c.published_at is not None,
        "version": c.version, "updated_at": c.updated_at,
    }


def actions_for(user: Any, c: Complaint) -> list[str]:
    """The actions the case page offers `user` (the same conditions as its buttons)."""
    office = policies.may_manage(user, c)
    handle = policies.may_handle(user, c) and not c.merged_into_id
    found = []
    if office and not c.merged_into_id:
        found.append("assign")
    if handle and c.review_status != ReviewStatus.SUBMITTED:
        found.append("handle")
    if (policies.may_submit(user, c) and c.review_status in (ReviewStatus.DRAFT, ReviewStatus.RETURNED)
            and c.status != ComplaintStatus.RECEIVED and not c.merged_into_id):
        found.append("submit")
    if office and c.review_status == ReviewStatus.SUBMITTED:
        found.append("review")
    if office:
        found.append("link")
    return found


def _evidence(e: Any) -> dict[str, Any]:
    return {"id": e.pk, "filename": e.original_name, "category": e.category, "content_type": e.content_type,
            "size": e.size, "uploaded_at": e.uploaded_at, "unit": unit_ref(e.organization)}


def _detail(user: Any, pk: int) -> dict[str, Any]:
    c = complaint_detail_for_user(user, pk)
    raw = policies.may_see_complainant(user, c)
    person = complainant_for_user(user, c) if raw else None
    data = _out(c, raw=raw)
    data.update({
        "investigation": _shown(c.investigation, raw), "truthfulness": c.truthfulness,
        "handling_goal": _shown(c.handling_goal, raw), "handling": _shown(c.handling, raw),
        "accountability": _shown(c.accountability, raw), "remarks": _shown(c.remarks, raw), "done_at": c.done_at,
        "review_note": c.review_note, "counters": {name: getattr(c, name) for name in COUNTER_FIELDS},
        "complainant": ({"name": person.name, "contact": person.contact, "id_number": person.id_number}
                        if person is not None else None),
        "evidence": [_evidence(e) for e in evidence_for_complaint(user, c)],
        "actions": actions_for(user, c),
    })
    return data


def _case(request: ApiRequest, pk: int) -> Complaint:
    return complaint_detail_for_user(request.auth, pk)


class _Rows:
    """A lazily rendered queryset: the pager slices it, then only the page's rows become dicts."""

    def __init__(self, queryset: Any, raw: bool) -> None:
        self.queryset, self.raw = queryset, raw

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_out(c, raw=self.raw) for c in self.queryset[item]]

    def __len__(self) -> int:
        return int(self.queryset.count())


def assignable_units(user: Any) -> Any:
    """The units the assignment page offers: active, in the user's scope, no inspection group or office."""
    return scope_for(user, Organization.objects.filter(is_active=True).exclude(
        kind__in=[Organization.Kind.INSPECTION_GROUP, Organization.Kind.OFFICE]))


# ---------------------------------------------------------------- routes


@router.get("/complaints", response={200: list[ComplaintOut], **READ_ERRORS}, summary="信访件清单")
@paginate(Pages)
def complaint_list(request: ApiRequest, filters: Query[ComplaintQuery]) -> Any:
    """当前用户可见的信访件，筛选与排序同“信访件”页面，分页返回；从不含信访人信息。"""
    return _Rows(complaint_list_for_user(request.auth, filters.to_filters()), sees_raw_text(request.auth))


@router.get("/complaints/{complaint_id}", response={200: ComplaintDetailOut, **READ_ERRORS}, summary="信访件详情")
def complaint_detail(request: ApiRequest, complaint_id: int = id_path("信访件编号")) -> Any:
    """信访件详情；不可见与不存在的同样答复 404。信访人只对督察整改办显示（同页面）。"""
    return _detail(request.auth, complaint_id)


@router.get("/complaints/{complaint_id}/events", response={200: list[EventOut], **READ_ERRORS},
            summary="信访件操作记录")
@paginate(Pages)
def complaint_events(request: ApiRequest, complaint_id: int = id_path("信访件编号")) -> Any:
    """信访件的操作记录，最新的在前（同详情页）。"""
    return Event.objects.filter(chain__key=chain_key_for(_case(request, complaint_id))).order_by("-seq")


@router.post("/complaints/{complaint_id}/assign", response={200: ComplaintDetailOut, **ERROR_RESPONSES},
             summary="交办信访件")
def complaint_assign(request: ApiRequest, payload: AssignIn, complaint_id: int = id_path("信访件编号")) -> Any:
    """督察整改办指定牵头办理单位和配合单位（同“交办”页面）；新的牵头单位收到通知。"""
    c = _case(request, complaint_id)
    if not policies.may_manage(request.auth, c):
        raise PermissionDenied()
    ids = [payload.lead_unit, *payload.cooperating_units]
    units = {u.pk: u for u in assignable_units(request.auth).filter(pk__in=ids)}
    if payload.lead_unit not in units:
        raise ValidationFailed(_("单位 %(ids)s 不存在或不可选。") % {"ids": payload.lead_unit}, field="lead_unit")
    missing = [i for i in payload.cooperating_units if i not in units]
    if missing:
        raise ValidationFailed(_("单位 %(ids)s 不存在或不可选。") % {"ids": "、".join(map(str, missing))},
                               field="cooperating_units")
    services.complaint_assign(actor=request.auth, complaint=c, lead_unit=units[payload.lead_unit],
                              cooperating_units=[units[i] for i in dict.fromkeys(payload.cooperating_units)])
    return _detail(request.auth, complaint_id)


@router.post("/complaints/{complaint_id}/handle", response={200: ComplaintDetailOut, **ERROR_RESPONSES},
             summary="填写办理情况")
def complaint_handle(request: ApiRequest, payload: HandleIn, complaint_id: int = id_path("信访件编号")) -> Any:
    """牵头办理单位（或督察整改办）填写调查核实情况、处理结果和执法计数；同页面的校验：待审核时不能修改，
    合并办理的件在主件中填写，结论为“不属实”须有佐证材料。佐证材料另用“上传佐证材料”接口。"""
    c = _case(request, complaint_id)
    if not policies.may_handle(request.auth, c):
        raise PermissionDenied()
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    services.complaint_handle(actor=request.auth, complaint=c, data=data)
    return _detail(request.auth, complaint_id)


@router.post("/complaints/{complaint_id}/submit", response={200: ComplaintDetailOut, **ERROR_RESPONSES},
             summary="提交办理结果审核")
def complaint_submit(request: ApiRequest, complaint_id: int = id_path("信访件编号")) -> Any:
    """牵头办理单位负责人（或督察整改办）把办理结果提交督察整改办审核。"""
    services.complaint_submit(actor=request.auth, complaint=_case(request, complaint_id))
    return _detail(request.auth, complaint_id)


@router.post("/complaints/{complaint_id}/approve", response={200: ComplaintDetailOut, **ERROR_RESPONSES},
             summary="审核通过办理结果")
def complaint_approve(request: ApiRequest, payload: ApproveIn, complaint_id: int = id_path("信访件编号")) -> Any:
    """督察整改办审核通过待审核的办理结果（此后可公开）。"""
    c = _case(request, complaint_id)
    if not policies.may_manage(request.auth, c):
        raise PermissionDenied()
    services.complaint_review(actor=request.auth, complaint=c, approve=True, note=payload.note)
    return _detail(request.auth, complaint_id)


@router.post("/complaints/{complaint_id}/return", response={200: ComplaintDetailOut, **ERROR_RESPONSES},
             summary="退回办理结果")
def complaint_return(request: ApiRequest, payload: ReturnIn, complaint_id: int = id_path("信访件编号")) -> Any:
    """督察整改办退回待审核的办理结果，须写明理由；牵头办理单位收到通知。"""
    c = _case(request, complaint_id)
    if not policies.may_manage(request.auth, c):
        raise PermissionDenied()
    services.complaint_review(actor=request.auth, complaint=c, approve=False, note=payload.note)
    return _detail(request.auth, complaint_id)


@router.post("/complaints/{complaint_id}/link", response={200: ComplaintDetailOut, **ERROR_RESPONSES},
             summary="关联重复件或合并办理")
def complaint_link(request: ApiRequest, payload: LinkIn, complaint_id: int = id_path("信访件编号")) -> Any:
    """督察整改办把本件关联为另一件的重复件（repeat）、合并至主件办理（merge），或取消重复关联（unlink）。"""
    c = _case(request, complaint_id)
    if payload.action != "unlink" and not payload.other:
        raise ValidationFailed(_("请选择要关联的信访件。"), field="other")
    other = get_for_user(request.auth, Complaint.objects.all(), pk=payload.other) if payload.action != "unlink" else None
    if payload.action == "merge":
        services.complaint_merge(actor=request.auth, complaint=c, into=other)  # type: ignore[arg-type]
    else:
        services.complaint_link_repeat(actor=request.auth, complaint=c, other=other)
    return _detail(request.auth, complaint_id)


@router.post("/complaints/{complaint_id}/evidence", response={201: EvidenceUploadOut, **ERROR_RESPONSES},
             summary="上传信访件佐证材料")
def complaint_evidence_upload(request: ApiRequest, files: File[list[UploadedFile]],
                              category: Form[CategoryValue], description: Form[str] = "",
                              complaint_id: int = id_path("信访件编号")) -> Any:
    """multipart/form-data：一个或多个文件（files）、类别（category）和说明（description）。每个文件经过与
    页面相同的检查（按内容判断类型、大小、图片解码）；有文件被拒绝时全部不保存（422，逐个说明）。"""
    from zhenggai.evidence.services import max_files

    c = _case(request, complaint_id)
    if len(files) > max_files():
        raise ValidationFailed(_("一次最多上传 %(n)s 个文件。") % {"n": max_files()}, field="files")
    if len(description) > 255 or "\x00" in description:
        raise ValidationFailed(_("说明过长或包含无效字符。"), field="description")
    stored = services.complaint_evidence_create(actor=request.auth, complaint=c, files=files, category=category,
                                                description=description)
    return Status(201, {"items": [_evidence(e) for e in stored]})
