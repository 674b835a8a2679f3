"""API routes of inspections and plans (/api/v1/inspections…, /api/v1/plans…). They parse input and call
the same selectors and services as the pages; the rules live there."""

import datetime as dt
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.models import Organization, Region
from zhenggai.accounts.policies import CHANGE, CREATE, get_for_user, scope_for, user_can, user_region
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, RegionRef, Text, UnitRef, id_path, unit_ref
from zhenggai.core.errors import PermissionDenied, ValidationFailed

from .models import Inspection, Plan
from .selectors import inspection_list_for_user, plan_figures
from .services import inspection_save, plan_save

router = Router(tags=["督察与方案"])

LevelValue = Literal["central", "provincial", "municipal"]
KindValue = Literal["routine", "special", "look_back"]
assert set(LevelValue.__args__) == set(Inspection.Level.values)  # type: ignore[attr-defined]
assert set(KindValue.__args__) == set(Inspection.Kind.values)  # type: ignore[attr-defined]


class InspectionOut(Schema):
    """督察。"""

    id: int = Field(..., description="督察编号")
    title: str = Field(..., description="名称")
    level: str = Field(..., description="层级：central 中央、provincial 省级、municipal 市级")
    round: str = Field(..., description="轮次")
    kind: str = Field(..., description="类型：routine 例行督察、special 专项督察、look_back 回头看")
    group: UnitRef | None = Field(None, description="督察组")
    target_region: RegionRef = Field(..., description="被督察地区")
    start_date: dt.date = Field(..., description="进驻日期")
    end_date: dt.date = Field(..., description="结束日期")
    feedback_date: dt.date | None = Field(None, description="反馈日期")
    follows_id: int | None = Field(None, description="回头看所针对的督察编号")
    summary: str = Field(..., description="概况")
    complaint_reply_days: int = Field(..., description="信访件办理时限（天）")


class InspectionWrite(Schema):
    title: Text | None = Field(None, min_length=1, max_length=200, description="名称")
    level: LevelValue | None = Field(None, description="层级")
    round: Text | None = Field(None, max_length=40, description="轮次，如：第二轮")
    kind: KindValue | None = Field(None, description="类型")
    group: Id | None = Field(None, description="督察组（单位编号）")
    target_region: Id | None = Field(None, description="被督察地区（区域编号，须在本区域内）")
    start_date: dt.date | None = Field(None, description="进驻日期")
    end_date: dt.date | None = Field(None, description="结束日期")
    feedback_date: dt.date | None = Field(None, description="反馈日期")
    follows: Id | None = Field(None, description="回头看所针对的督察编号")
    summary: Text | None = Field(None, max_length=20000, description="概况")
    complaint_reply_days: int | None = Field(None, ge=1, le=365, description="信访件办理时限（天）")


class InspectionCreateIn(InspectionWrite):
    """登记督察（督察整改办）。"""

    title: Text = Field(..., min_length=1, max_length=200, description="名称")
    level: LevelValue = Field(..., description="层级")
    target_region: Id = Field(..., description="被督察地区（区域编号，须在本区域内）")
    start_date: dt.date = Field(..., description="进驻日期")
    end_date: dt.date = Field(..., description="结束日期")


class InspectionPatchIn(InspectionWrite):
    """修改督察（督察整改办）：只写需要修改的字段。"""


class PlanOut(Schema):
    """整改方案。"""

    id: int = Field(..., description="方案编号")
    inspection_id: int = Field(..., description="督察编号")
    title: str = Field(..., description="方案名称")
    document_number: str = Field(..., description="文号")
    approved_date: dt.date | None = Field(None, description="印发日期")
    published_date: dt.date | None = Field(None, description="公开日期")
    version: int = Field(..., description="版本")
    summary: str = Field(..., description="总体要求")
    measure_areas: list[str] = Field(..., description="整改举措领域（按顺序）")


class YearFigure(Schema):
    year: int | None = Field(None, description="完成年度")
    total: int = Field(..., description="任务数")
    closed: int = Field(..., description="已销号数")


class PlanDetailOut(PlanOut):
    """整改方案详情，含当前用户可见任务的统计。"""

    task_total: int = Field(..., description="可见任务总数")
    task_closed: int = Field(..., description="其中已销号")
    by_year: list[YearFigure] = Field(..., description="按完成年度统计")


class PlanWrite(Schema):
    title: Text | None = Field(None, min_length=1, max_length=255, description="方案名称")
    document_number: Text | None = Field(None, max_length=100, description="文号")
    approved_date: dt.date | None = Field(None, description="印发日期")
    published_date: dt.date | None = Field(None, description="公开日期")
    version: int | None = Field(None, ge=1, le=1000, description="版本")
    summary: Text | None = Field(None, max_length=20000, description="总体要求")
    measure_areas: list[Text] | None = Field(None, max_length=50, description="整改举措领域名称（整体替换，按顺序）")


class PlanCreateIn(PlanWrite):
    """新建整改方案（督察整改办）。"""

    inspection: Id = Field(..., description="督察编号")
    title: Text = Field(..., min_length=1, max_length=255, description="方案名称")


class PlanPatchIn(PlanWrite):
    """修改整改方案（督察整改办）：只写需要修改的字段。"""


class PlanQuery(Schema):
    inspection: Id | None = Field(None, description="只列该督察的方案")


def _inspection_out(i: Inspection) -> dict[str, Any]:
    return {
        "id": i.pk, "title": i.title, "level": i.level, "round": i.round, "kind": i.kind,
        "group": unit_ref(i.group), "target_region": {"id": i.target_region_id, "name": i.target_region.name},
        "start_date": i.start_date, "end_date": i.end_date, "feedback_date": i.feedback_date,
        "follows_id": i.follows_id, "summary": i.summary, "complaint_reply_days": i.complaint_reply_days,
    }


def _plan_out(plan: Plan, user: Any = None, *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": plan.pk, "inspection_id": plan.inspection_id, "title": plan.title,
        "document_number": plan.document_number, "approved_date": plan.approved_date,
        "published_date": plan.published_date, "version": plan.version, "summary": plan.summary,
        "measure_areas": [a.title for a in plan.measure_areas.all()],
    }
    if detail:
        figures = plan_figures(user, plan)
        data.update({"task_total": figures["total"], "task_closed": figures["closed"], "by_year": figures["by_year"]})
    return data


def _regions_for(user: Any) -> Any:
    """The regions the user may choose, as in the page's form: their own region's sub-tree."""
    region = user_region(user)
    if getattr(user, "is_superuser", False) or region is None:
        return Region.objects.all()
    return Region.objects.filter(path__startswith=region.path)


def _fold_inspection(user: Any, inspection: Inspection, payload: InspectionWrite) -> Inspection:
    sent = payload.model_fields_set
    for name in ("title", "level", "kind", "start_date", "end_date", "feedback_date", "complaint_reply_days"):
        if name in sent and (getattr(payload, name) is not None or name == "feedback_date"):
            setattr(inspection, name, getattr(payload, name))
    for name in ("round", "summary"):
        if name in sent:
            setattr(inspection, name, getattr(payload, name) or "")
    if "target_region" in sent and payload.target_region is not None:
        region = _regions_for(user).filter(pk=payload.target_region).first()
        if region is None:
            raise ValidationFailed(_("只能选择本行政区域及其下级区域。"), field="target_region")
        inspection.target_region = region
    if "group" in sent:
        group = None
        if payload.group:
            group = scope_for(user, Organization.objects.filter(
                pk=payload.group, kind=Organization.Kind.INSPECTION_GROUP)).first()
            if group is None:
                raise ValidationFailed(_("督察组不存在或不可选。"), field="group")
        inspection.group = group
    if "follows" in sent:
        follows = None
        if payload.follows:
            follows = scope_for(user, Inspection.objects.filter(pk=payload.follows)).exclude(
                pk=inspection.pk or 0).first()
            if follows is None:
                raise ValidationFailed(_("所针对的督察不存在。"), field="follows")
        inspection.follows = follows
    return inspection


@router.get("/inspections", response={200: list[InspectionOut], **READ_ERRORS}, summary="督察清单")
@paginate(Pages)
def inspection_list(request: ApiRequest) -> Any:
    """当前用户可见的督察，按进驻日期从新到旧。"""
    return inspection_list_for_user(request.auth).select_related("group", "target_region")


@router.get("/inspections/{inspection_id}", response={200: InspectionOut, **READ_ERRORS}, summary="督察详情")
def inspection_detail(request: ApiRequest, inspection_id: int = id_path("督察编号")) -> Any:
    return _inspection_out(get_for_user(request.auth, Inspection.objects.select_related(
        "group", "target_region"), pk=inspection_id))


@router.post("/inspections", response={201: InspectionOut, **ERROR_RESPONSES}, summary="登记督察")
def inspection_create(request: ApiRequest, payload: InspectionCreateIn) -> Any:
    """督察整改办为本行政区域登记督察。"""
    if not user_can(request.auth, CREATE, Inspection):
        raise PermissionDenied()
    inspection = _fold_inspection(request.auth, Inspection(), payload)
    inspection = inspection_save(actor=request.auth, inspection=inspection)
    return Status(201, _inspection_out(inspection))


@router.patch("/inspections/{inspection_id}", response={200: InspectionOut, **ERROR_RESPONSES}, summary="修改督察")
def inspection_patch(request: ApiRequest, payload: InspectionPatchIn,
                     inspection_id: int = id_path("督察编号")) -> Any:
    inspection = get_for_user(request.auth, Inspection.objects.all(), pk=inspection_id)
    if not user_can(request.auth, CHANGE, inspection):
        raise PermissionDenied()
    inspection = inspection_save(actor=request.auth, inspection=_fold_inspection(request.auth, inspection, payload))
    return _inspection_out(Inspection.objects.select_related("group", "target_region").get(pk=inspection.pk))


@router.get("/plans", response={200: list[PlanOut], **READ_ERRORS}, summary="整改方案清单")
@paginate(Pages)
def plan_list(request: ApiRequest, filters: Query[PlanQuery]) -> Any:
    plans = scope_for(request.auth, Plan.objects.all())
    if filters.inspection:
        plans = plans.filter(inspection_id=filters.inspection)
    return _PlanRows(plans.prefetch_related("measure_areas").order_by("-inspection__start_date", "id"))


class _PlanRows:
    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_plan_out(p) for p in self.queryset[item]]


@router.get("/plans/{plan_id}", response={200: PlanDetailOut, **READ_ERRORS}, summary="整改方案详情")
def plan_detail(request: ApiRequest, plan_id: int = id_path("方案编号")) -> Any:
    plan = get_for_user(request.auth, Plan.objects.select_related("inspection"), pk=plan_id)
    return _plan_out(plan, request.auth, detail=True)


def _fold_plan(plan: Plan, payload: PlanWrite) -> Plan:
    sent = payload.model_fields_set
    for name in ("title", "version"):
        if name in sent and getattr(payload, name) is not None:
            setattr(plan, name, getattr(payload, name))
    for name in ("document_number", "summary"):
        if name in sent:
            setattr(plan, name, getattr(payload, name) or "")
    for name in ("approved_date", "published_date"):
        if name in sent:
            setattr(plan, name, getattr(payload, name))
    return plan


@router.post("/plans", response={201: PlanDetailOut, **ERROR_RESPONSES}, summary="新建整改方案")
def plan_create(request: ApiRequest, payload: PlanCreateIn) -> Any:
    inspection = get_for_user(request.auth, Inspection.objects.all(), pk=payload.inspection)
    if not user_can(request.auth, CHANGE, inspection):
        raise PermissionDenied()
    plan = plan_save(actor=request.auth, plan=_fold_plan(Plan(inspection=inspection), payload),
                     measure_areas=payload.measure_areas)
    return Status(201, _plan_out(plan, request.auth, detail=True))


@router.patch("/plans/{plan_id}", response={200: PlanDetailOut, **ERROR_RESPONSES}, summary="修改整改方案")
def plan_patch(request: ApiRequest, payload: PlanPatchIn, plan_id: int = id_path("方案编号")) -> Any:
    plan = get_for_user(request.auth, Plan.objects.select_related("inspection"), pk=plan_id)
    if not user_can(request.auth, CHANGE, plan):
        raise PermissionDenied()
    plan = plan_save(actor=request.auth, plan=_fold_plan(plan, payload), measure_areas=payload.measure_areas)
    return _plan_out(plan, request.auth, detail=True)


from .api_meetings import router as meetings_router  # noqa: E402 - 研究部署, in its own module

router.add_router("", meetings_router)
