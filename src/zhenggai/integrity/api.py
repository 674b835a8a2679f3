"""API routes of the integrity review (/api/v1/integrity/…). They parse input, call the same selectors,
policies and services as the pages, and render; the rules live in those modules.

Who: the office, leaders and the discipline body read the flags of their region; only the office decides
(confirm, dismiss, reopen); the discipline body turns a confirmed flag into an accountability case.
Everybody else gets 403 for the lists and 404 for a flag (hidden and missing alike)."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, EventOut, Id, Text, id_path
from zhenggai.core.errors import PermissionDenied

from .checks import load_all
from .models import IntegrityFlag
from .policies import available_transitions, may_read_flags
from .selectors import FlagFilters, flag_for_user, flag_history, flag_list_for_user
from .services import (
    CaseInput,
    integrity_flag_confirm,
    integrity_flag_dismiss,
    integrity_flag_reopen,
    integrity_flag_to_accountability,
)

router = Router(tags=["真实性核查"])

StatusValue = Literal["open", "confirmed", "dismissed"]
FoundValue = Literal["current", "gone"]
MeasureValue = Literal["admonition", "circulated", "talk", "written_review", "organizational", "disciplinary",
                       "lead_transfer"]


class IntegrityCheckOut(Schema):
    """一个核查项。"""

    code: str = Field(..., description="核查项代码")
    label: str = Field(..., description="名称")
    description: str = Field(..., description="说明")
    triggers: list[str] = Field(..., description="在哪些操作（操作记录的动作代码）之后对相关任务或信访件运行；另每天夜间全面运行")


class IntegrityFlagQuery(Schema):
    """疑点清单的筛选，与“真实性核查”页面相同。"""

    check: str | None = Field(None, max_length=40, description="核查项代码（见 /integrity/checks）")
    status: StatusValue | None = Field(None, description="状态：open 待核查、confirmed 已确认、dismissed 已排除")
    unit: Id | None = Field(None, description="单位编号：疑点涉及的单位（未指明单位的疑点按任务的整改实施主体或信访件的牵头单位）")
    region: Id | None = Field(None, description="行政区域编号（含下级区域）")
    task: Id | None = Field(None, description="整改任务编号")
    complaint: Id | None = Field(None, description="信访件编号")
    found: FoundValue | None = Field(None, description="current：最近一次核查仍发现；gone：已不再发现")

    def to_filters(self) -> FlagFilters:
        return FlagFilters.from_query({k: ("" if v is None else str(v)) for k, v in self.dict().items()})


class IntegrityFlagOut(Schema):
    """真实性核查疑点（清单中的一行）。"""

    id: int = Field(..., description="疑点编号")
    check: str = Field(..., description="核查项代码")
    check_label: str = Field(..., description="核查项名称")
    status: str = Field(..., description="状态：open 待核查、confirmed 已确认、dismissed 已排除")
    status_label: str = Field(..., description="状态（用户语言）")
    reason: str = Field(..., description="疑点")
    task_id: int | None = Field(None, description="整改任务编号")
    complaint_id: int | None = Field(None, description="信访件编号")
    subject_kind: str = Field(..., description="对象类型：evidence、progressreport、acceptanceapplication、publicnotice、measure、complaint、task…")
    subject_id: int = Field(..., description="对象编号")
    unit_id: int | None = Field(None, description="涉及的单位编号")
    unit_name: str | None = Field(None, description="涉及的单位")
    region_id: int = Field(..., description="行政区域编号")
    first_found: dt.datetime = Field(..., description="发现时间")
    last_found: dt.datetime = Field(..., description="最近一次发现时间")
    still_found: bool = Field(..., description="最近一次覆盖它的核查是否仍发现")
    accountability_case_id: int | None = Field(None, description="转为的问责编号")


class IntegrityFlagDetailOut(IntegrityFlagOut):
    """疑点详情：依据数据、核查意见和当前用户可执行的操作。"""

    evidence: dict[str, Any] = Field(..., description="依据（核查项给出的数据：编号、哈希、距离、日期、摘录等）")
    subject_repr: str = Field(..., description="对象")
    decided_by: str | None = Field(None, description="核查人")
    decided_at: dt.datetime | None = Field(None, description="核查时间")
    decision_reason: str = Field(..., description="核查意见")
    actions: list[str] = Field(..., description="当前用户可执行的操作：confirm、dismiss、reopen、to_accountability")


class IntegrityDecisionIn(Schema):
    """核查意见。"""

    reason: Text = Field("", max_length=2000, description="理由（排除和重新核查必填）")


class IntegrityPersonIn(Schema):
    name: Text = Field(..., min_length=1, max_length=60, description="姓名")
    post: Text = Field("", max_length=120, description="单位及职务")


class IntegrityCaseIn(Schema):
    """由已确认的疑点记录问责（纪检监察机关）：问责自动关联疑点的整改任务或信访件。"""

    title: Text = Field(..., min_length=1, max_length=200, description="事由")
    date: dt.date = Field(..., description="决定日期")
    measures: list[MeasureValue] = Field(..., min_length=1, max_length=7, description="问责措施")
    people: list[IntegrityPersonIn] = Field(..., min_length=1, max_length=100, description="被问责人")
    lead_transferred_to: Text = Field("", max_length=120, description="线索移送至（选择移送问题线索时必填）")
    description: Text = Field("", max_length=20000, description="基本情况")


def _row(flag: IntegrityFlag) -> dict[str, Any]:
    return {"id": flag.pk, "check": flag.check_code, "check_label": flag.check_label, "status": flag.status,
            "status_label": str(flag.get_status_display()), "reason": flag.reason, "task_id": flag.task_id,
            "complaint_id": flag.complaint_id, "subject_kind": flag.subject_kind, "subject_id": flag.subject_id,
            "unit_id": flag.unit_id, "unit_name": flag.unit.name if flag.unit else None, "region_id": flag.region_id,
            "first_found": flag.first_found, "last_found": flag.last_found, "still_found": flag.still_found,
            "accountability_case_id": flag.accountability_case_id}


def _detail(request: ApiRequest, flag_id: int) -> dict[str, Any]:
    flag = flag_for_user(request.auth, flag_id)
    return {**_row(flag), "evidence": flag.evidence or {}, "subject_repr": flag.subject_repr,
            "decided_by": str(flag.decided_by) if flag.decided_by else None, "decided_at": flag.decided_at,
            "decision_reason": flag.decision_reason, "actions": available_transitions(flag, request.auth)}


def _readable(request: ApiRequest) -> None:
    if not may_read_flags(request.auth):
        raise PermissionDenied()


class _Rows:
    """A lazily rendered queryset: the pager slices it, then only the page's rows become dicts."""

    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_row(flag) for flag in self.queryset[item]]

    def __len__(self) -> int:
        return int(self.queryset.count())


@router.get("/integrity/checks", response={200: list[IntegrityCheckOut], **READ_ERRORS}, summary="核查项")
def check_list(request: ApiRequest) -> Any:
    """系统运行的真实性核查项及触发它们的操作。"""
    _readable(request)
    return [{"code": code, "label": str(check.label), "description": str(check.description or ""),
             "triggers": sorted(check.triggers)} for code, check in sorted(load_all().items())]


@router.get("/integrity/flags", response={200: list[IntegrityFlagOut], **READ_ERRORS}, summary="疑点清单")
@paginate(Pages)
def flag_list(request: ApiRequest, filters: Query[IntegrityFlagQuery]) -> Any:
    """当前用户可见的疑点（本区域及下级区域），最新发现的在前，筛选同页面。"""
    _readable(request)
    return _Rows(flag_list_for_user(request.auth, filters.to_filters()))


@router.get("/integrity/flags/{flag_id}", response={200: IntegrityFlagDetailOut, **READ_ERRORS}, summary="疑点详情")
def flag_detail(request: ApiRequest, flag_id: int = id_path("疑点编号")) -> Any:
    """疑点、依据和可执行的操作；不可见与不存在的疑点同样答复 404。"""
    return _detail(request, flag_id)


@router.get("/integrity/flags/{flag_id}/events", response={200: list[EventOut], **READ_ERRORS},
            summary="疑点核查记录")
@paginate(Pages)
def flag_events(request: ApiRequest, flag_id: int = id_path("疑点编号")) -> Any:
    return flag_history(flag_for_user(request.auth, flag_id))


@router.post("/integrity/flags/{flag_id}/confirm", response={200: IntegrityFlagDetailOut, **ERROR_RESPONSES},
             summary="确认问题")
def flag_confirm(request: ApiRequest, payload: IntegrityDecisionIn, flag_id: int = id_path("疑点编号")) -> Any:
    """待核查 → 已确认：督察整改办（本区域或上级）。考核细则设有“真实性核查确认问题”时计入考核。"""
    integrity_flag_confirm(actor=request.auth, flag=flag_for_user(request.auth, flag_id), reason=payload.reason)
    return _detail(request, flag_id)


@router.post("/integrity/flags/{flag_id}/dismiss", response={200: IntegrityFlagDetailOut, **ERROR_RESPONSES},
             summary="排除疑点")
def flag_dismiss(request: ApiRequest, payload: IntegrityDecisionIn, flag_id: int = id_path("疑点编号")) -> Any:
    """待核查 → 已排除：督察整改办，须写明理由。以后核查再次发现时仍保持已排除。"""
    integrity_flag_dismiss(actor=request.auth, flag=flag_for_user(request.auth, flag_id), reason=payload.reason)
    return _detail(request, flag_id)


@router.post("/integrity/flags/{flag_id}/reopen", response={200: IntegrityFlagDetailOut, **ERROR_RESPONSES},
             summary="重新核查")
def flag_reopen(request: ApiRequest, payload: IntegrityDecisionIn, flag_id: int = id_path("疑点编号")) -> Any:
    """已排除 → 待核查：督察整改办，须写明理由。"""
    integrity_flag_reopen(actor=request.auth, flag=flag_for_user(request.auth, flag_id), reason=payload.reason)
    return _detail(request, flag_id)


@router.post("/integrity/flags/{flag_id}/accountability", response={201: IntegrityFlagDetailOut, **ERROR_RESPONSES},
             summary="转为问责")
def flag_to_accountability(request: ApiRequest, payload: IntegrityCaseIn, flag_id: int = id_path("疑点编号")) -> Any:
    """已确认的疑点转为问责：纪检监察机关（本区域或上级）；每个疑点只能转一次。问责见 /accountability/cases。"""
    case = CaseInput(title=payload.title, date=payload.date, measures=list(payload.measures),
                     people=[(p.name, p.post) for p in payload.people], description=payload.description,
                     lead_transferred_to=payload.lead_transferred_to)
    integrity_flag_to_accountability(actor=request.auth, flag=flag_for_user(request.auth, flag_id), case=case)
    return Status(201, _detail(request, flag_id))

