"""API routes of 定期调度: dispatch rounds and progress reports, through the same selectors and services
as the round pages (`round_selectors`, `rounds`)."""

import datetime as dt
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.models import Organization, Role
from zhenggai.accounts.policies import get_for_user, scope_for, user_has_role, user_region
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, RegionRef, Text, UnitRef, id_path, unit_ref
from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.workdays import add_working_days
from zhenggai.inspections.models import Plan

from ..models import DispatchRound, ProgressReport, Task
from ..round_selectors import round_for_user, rounds_for_user, visible_reports_q
from ..rounds import (
    due_working_days,
    is_office_of,
    report_approve,
    report_return,
    report_save_and_submit,
    report_save_draft,
    report_submit,
    round_close,
    round_open,
    round_remind,
)
from ..warnings import today
from ..workflow import OPEN_STATUSES

router = Router(tags=["定期调度"])

StageValue = Literal["preparing", "advancing", "mostly_done", "done"]
assert set(StageValue.__args__) == set(ProgressReport.Stage.values)  # type: ignore[attr-defined]


class RoundOut(Schema):
    """调度：一个报送周期。"""

    id: int = Field(..., description="调度编号")
    title: str = Field(..., description="名称")
    kind: str = Field(..., description="类型：monthly 月度、weekly 周调度")
    region: RegionRef = Field(..., description="行政区域")
    plan_id: int | None = Field(None, description="只调度该方案的任务时为方案编号")
    period_start: dt.date = Field(..., description="调度期起")
    due_date: dt.date = Field(..., description="报送截止")
    status: str = Field(..., description="状态：open 进行中、closed 已结束")
    task_count: int = Field(..., description="调度任务数")


class ReportOut(Schema):
    """整改进展：一个单位在一次调度中对一项任务的报送。"""

    id: int = Field(..., description="进展编号")
    round_id: int | None = Field(None, description="调度编号；调度之外的报送为 null")
    task_id: int = Field(..., description="任务编号")
    unit: UnitRef = Field(..., description="报送单位")
    status: str = Field(..., description="状态：draft 草稿、submitted 待审核、approved 已报送、returned 已退回")
    stage: str = Field(..., description="整改阶段：preparing、advancing、mostly_done、done")
    description: str = Field(..., description="整改进度描述")
    percent: int = Field(..., description="完成比例（%）")
    next_steps: str = Field(..., description="下一步计划")
    return_reason: str = Field(..., description="退回理由")
    is_late: bool = Field(..., description="逾期报送")
    submitted_at: dt.datetime | None = Field(None, description="提交时间")
    approved_at: dt.datetime | None = Field(None, description="报送（审核通过）时间")


class ReportIn(Schema):
    """填写整改进展：未写的字段沿用本单位上次报送的内容（同一事实不重复填写）。"""

    round: Id | None = Field(None, description="调度编号；留空为调度之外的报送")
    unit: Id | None = Field(None, description="报送单位编号；留空取本人所在的实施单位")
    stage: StageValue | None = Field(None, description="整改阶段")
    description: Text | None = Field(None, max_length=10000, description="整改进度描述")
    percent: int | None = Field(None, ge=0, le=100, description="完成比例（%）")
    next_steps: Text | None = Field(None, max_length=10000, description="下一步计划")
    submit: bool = Field(False, description="true：保存后提交本单位负责人审核")


class RoundOpenIn(Schema):
    """发起调度（督察整改办），同“发起调度”页面。"""

    kind: Literal["monthly", "weekly"] = Field("monthly", description="类型：monthly 月度（本区域全部未销号任务）、weekly 周调度（所选重点任务）")
    title: Text = Field("", max_length=100, description="名称；留空自动生成，如“2025年3月调度”")
    plan: Id | None = Field(None, description="只调度该整改方案的任务；留空为本区域全部方案")
    period_start: dt.date | None = Field(None, description="调度期起；留空为今天")
    due_date: dt.date | None = Field(None, description="报送截止；留空为 5 个工作日后")
    tasks: list[Id] = Field(default_factory=list, max_length=500, description="重点任务编号（周调度必填）")


class RoundRemindOut(Schema):
    """催报结果。"""

    sent: int = Field(..., description="新发送的提醒条数（同一天重复催报不重复提醒）")


class ReportReturnIn(Schema):
    """退回整改进展。"""

    reason: Text = Field(..., max_length=5000, description="退回理由（必填）")


def _round_out(rnd: DispatchRound) -> dict[str, Any]:
    return {
        "id": rnd.pk, "title": rnd.title, "kind": rnd.kind, "region": {"id": rnd.region_id, "name": rnd.region.name},
        "plan_id": rnd.plan_id, "period_start": rnd.period_start, "due_date": rnd.due_date, "status": rnd.status,
        "task_count": rnd.tasks.count(),
    }


def _report_out(report: ProgressReport) -> dict[str, Any]:
    return {
        "id": report.pk, "round_id": report.round_id, "task_id": report.task_id, "unit": unit_ref(report.unit),
        "status": report.status, "stage": report.stage, "description": report.description,
        "percent": report.percent, "next_steps": report.next_steps, "return_reason": report.return_reason,
        "is_late": report.is_late, "submitted_at": report.submitted_at, "approved_at": report.approved_at,
    }


def _visible_reports(user: Any) -> Any:
    """Reports the user may read, as on the task page: of tasks they see, and of their own units or
    approved (the office of the region sees every state)."""
    tasks = scope_for(user, Task.objects.all())
    return ProgressReport.objects.filter(visible_reports_q(user), task__in=tasks).select_related("unit")


def _report(request: ApiRequest, report_id: int) -> ProgressReport:
    try:
        return _visible_reports(request.auth).get(pk=report_id)
    except ProgressReport.DoesNotExist as exc:
        raise NotFound() from exc


class _Rows:
    def __init__(self, queryset: Any, render: Any) -> None:
        self.queryset, self.render = queryset, render

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.render(row) for row in self.queryset[item]]


@router.get("/rounds", response={200: list[RoundOut], **READ_ERRORS}, summary="调度清单")
@paginate(Pages)
def round_list(request: ApiRequest) -> Any:
    """当前用户可见的调度，最新的在前。"""
    rounds = rounds_for_user(request.auth).select_related("region").order_by("-period_start", "-id")
    return _Rows(rounds, _round_out)


@router.get("/rounds/{round_id}", response={200: RoundOut, **READ_ERRORS}, summary="调度详情")
def round_detail(request: ApiRequest, round_id: int = id_path("调度编号")) -> Any:
    return _round_out(round_for_user(request.auth, round_id))


@router.get("/tasks/{task_id}/reports", response={200: list[ReportOut], **READ_ERRORS}, summary="任务的整改进展")
@paginate(Pages)
def task_reports(request: ApiRequest, task_id: int = id_path("任务编号")) -> Any:
    """该任务中当前用户可见的整改进展，最新的在前。"""
    task = get_for_user(request.auth, Task.objects.all(), pk=task_id)
    return _Rows(_visible_reports(request.auth).filter(task=task).order_by("-created_at", "-id"), _report_out)


@router.post("/tasks/{task_id}/reports", response={201: ReportOut, **ERROR_RESPONSES}, summary="填写整改进展")
def report_write(request: ApiRequest, payload: ReportIn, task_id: int = id_path("任务编号")) -> Any:
    """实施单位经办人（或负责人）保存本单位的进展草稿；submit 为 true 时一并提交审核（同页面“提交审核”）。"""
    user = request.auth
    task = get_for_user(user, Task.objects.select_related("plan"), pk=task_id)
    rnd = round_for_user(user, payload.round) if payload.round else None
    unit = None
    if payload.unit:
        unit = Organization.objects.filter(pk=payload.unit).first()
        if unit is None:
            raise ValidationFailed(_("报送单位不存在。"), field="unit")
    data = {k: v for k, v in payload.dict(include={"stage", "description", "percent", "next_steps"}).items()
            if k in payload.model_fields_set and v is not None}
    service = report_save_and_submit if payload.submit else report_save_draft
    report = service(actor=user, round=rnd, task=task, unit=unit, data=data)
    return Status(201, _report_out(ProgressReport.objects.select_related("unit").get(pk=report.pk)))


@router.post("/reports/{report_id}/submit", response={200: ReportOut, **ERROR_RESPONSES}, summary="提交整改进展")
def report_submit_api(request: ApiRequest, report_id: int = id_path("进展编号")) -> Any:
    """草稿/已退回 → 待审核：本单位经办人或负责人。"""
    report = report_submit(actor=request.auth, report=_report(request, report_id))
    return _report_out(ProgressReport.objects.select_related("unit").get(pk=report.pk))


@router.post("/reports/{report_id}/approve", response={200: ReportOut, **ERROR_RESPONSES}, summary="审核通过整改进展")
def report_approve_api(request: ApiRequest, report_id: int = id_path("进展编号")) -> Any:
    """待审核 → 已报送：本单位负责人（不能审核自己填报的进展）。"""
    report = report_approve(actor=request.auth, report=_report(request, report_id))
    return _report_out(ProgressReport.objects.select_related("unit").get(pk=report.pk))


@router.post("/reports/{report_id}/return", response={200: ReportOut, **ERROR_RESPONSES}, summary="退回整改进展")
def report_return_api(request: ApiRequest, payload: ReportReturnIn, report_id: int = id_path("进展编号")) -> Any:
    """待审核 → 已退回：本单位负责人，须写明理由。"""
    report = report_return(actor=request.auth, report=_report(request, report_id), reason=payload.reason)
    return _report_out(ProgressReport.objects.select_related("unit").get(pk=report.pk))


def _manageable_round(request: ApiRequest, round_id: int) -> DispatchRound:
    """A round the user sees and may manage, as on the round page (the office of its region): 404 when
    hidden, 403 when seen but not managed."""
    rnd = round_for_user(request.auth, round_id)
    if not (is_office_of(request.auth, rnd.region) and user_has_role(request.auth, Role.OFFICE)):
        raise PermissionDenied(_("只有本区域的督察整改办可以管理调度。"))
    return rnd


@router.post("/rounds", response={201: RoundOut, **ERROR_RESPONSES}, summary="发起调度")
def round_create(request: ApiRequest, payload: RoundOpenIn) -> Any:
    """督察整改办在本区域发起调度：月度调度包含全部未销号任务（或所选方案的），周调度包含所选重点任务；
    通知各实施单位报送。"""
    user = request.auth
    region = user_region(user)
    if region is None or not user_has_role(user, Role.OFFICE):
        raise PermissionDenied(_("只有督察整改办可以发起调度。"))
    plan = None
    if payload.plan:
        plan = scope_for(user, Plan.objects.filter(inspection__target_region__path__startswith=region.path)).filter(
            pk=payload.plan).select_related("inspection__target_region").first()
        if plan is None:
            raise ValidationFailed(_("整改方案不存在或不属于本区域。"), field="plan")
    tasks = list(scope_for(user, Task.objects.filter(region__path__startswith=region.path, status__in=OPEN_STATUSES,
                                                     pk__in=payload.tasks)))
    if len(tasks) != len(set(payload.tasks)):
        raise ValidationFailed(_("所选任务须为本区域未销号的任务。"), field="tasks")
    on = today()
    period_start = payload.period_start or on
    rnd = round_open(actor=user, region=region, kind=payload.kind, period_start=period_start,
                     due_date=payload.due_date or add_working_days(on, due_working_days()), plan=plan, tasks=tasks,
                     title=payload.title)
    return Status(201, _round_out(DispatchRound.objects.select_related("region").get(pk=rnd.pk)))


@router.post("/rounds/{round_id}/close", response={200: RoundOut, **ERROR_RESPONSES}, summary="结束调度")
def round_close_api(request: ApiRequest, round_id: int = id_path("调度编号")) -> Any:
    """进行中 → 已结束（督察整改办）；之后报送的进展标记为逾期。"""
    rnd = round_close(actor=request.auth, round=_manageable_round(request, round_id))
    return _round_out(DispatchRound.objects.select_related("region").get(pk=rnd.pk))


@router.post("/rounds/{round_id}/remind", response={200: RoundRemindOut, **ERROR_RESPONSES}, summary="催报")
def round_remind_api(request: ApiRequest, round_id: int = id_path("调度编号")) -> Any:
    """向还未报送（或未审核通过）的单位发送提醒，每人每天一条（督察整改办）。"""
    return {"sent": round_remind(actor=request.auth, round=_manageable_round(request, round_id))}
