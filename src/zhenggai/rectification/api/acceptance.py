"""API routes of 验收销号 beyond the task transitions in `tasks`: a task's applications, reviews, public
notices and objections; the acceptance review as the review page takes it (criteria, photos); answering
and upholding objections; look-backs (schedule, record); the closure certificate. Everything goes through
the same services as the acceptance pages (`transitions`, `lookbacks`)."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import get_for_user, scope_for, user_has_role
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, Text, UnitRef, id_path, unit_ref
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.evidence.models import Evidence
from zhenggai.reports.xlsx import attachment_disposition

from .. import lookbacks, transitions
from ..models import AcceptanceApplication, LookBack, Objection, PublicNotice, Task
from ..transitions import CRITERIA_KEYS
from ..workflow import TaskStatus

router = Router(tags=["验收销号"])

CRITERIA_TEXT = "五项标准：measures 措施到位、solved 问题解决、mechanism 机制健全、conduct 行动规范、records 资料齐全"


# ---------------------------------------------------------------- schemas


class ReviewOut(Schema):
    """验收意见。"""

    id: int = Field(..., description="验收意见编号")
    decision: str = Field(..., description="结论：pass 通过、return 退回")
    reviewer: str = Field(..., description="验收人")
    reasons: str = Field(..., description="验收意见或退回理由")
    check_date: dt.date | None = Field(None, description="现场核查日期")
    check_people: str = Field(..., description="核查人员")
    check_findings: str = Field(..., description="核查情况")
    criteria: dict[str, bool] = Field(..., description=f"验收标准核对（{CRITERIA_TEXT}）")
    photos: list[int] = Field(..., description="现场照片（佐证材料编号）")
    created_at: dt.datetime = Field(..., description="验收时间")


class ApplicationOut(Schema):
    """验收销号申请，含验收意见。"""

    id: int = Field(..., description="申请编号")
    task_id: int = Field(..., description="任务编号")
    unit: UnitRef = Field(..., description="申请单位")
    applied_by: str = Field(..., description="申请人")
    applied_at: dt.datetime = Field(..., description="申请时间")
    status: str = Field(..., description="状态：pending 待验收、passed 验收通过、returned 退回整改")
    statement: str = Field(..., description="整改完成情况")
    self_check: dict[str, bool] = Field(..., description=f"自查情况（{CRITERIA_TEXT}）")
    evidence: list[int] = Field(..., description="佐证材料编号")
    review: ReviewOut | None = Field(None, description="验收意见（验收后才有）")


class ObjectionOut(Schema):
    """公示异议。联系人和联系方式只对督察整改办和纪检监察显示。"""

    id: int = Field(..., description="异议编号")
    content: str = Field(..., description="异议内容")
    submitted_at: dt.datetime = Field(..., description="提交时间")
    status: str = Field(..., description="状态：pending 待答复、answered 已答复")
    upheld: bool | None = Field(None, description="异议是否成立（答复后）")
    answer: str = Field(..., description="答复")
    answered_at: dt.datetime | None = Field(None, description="答复时间")
    contact_name: str | None = Field(None, description="联系人（保密；无权查看时为 null）")
    contact: str | None = Field(None, description="联系方式（保密；无权查看时为 null）")


class PublicNoticeOut(Schema):
    """销号公示，含异议。"""

    id: int = Field(..., description="公示编号")
    task_id: int = Field(..., description="任务编号")
    task_number: int = Field(..., description="任务序号")
    start_date: dt.date = Field(..., description="公示开始")
    end_date: dt.date = Field(..., description="公示截止")
    working_days: int = Field(..., description="公示期（工作日）")
    status: str = Field(..., description="状态：open 公示中、ended 公示期满、withdrawn 已撤回")
    summary: str = Field(..., description="整改任务概述")
    result: str = Field(..., description="整改情况")
    contact_phone: str = Field(..., description="异议电话")
    contact_email: str = Field(..., description="异议邮箱")
    pending_objections: int = Field(..., description="待答复的异议数")
    objections: list[ObjectionOut] = Field(..., description="异议")


class LookBackOut(Schema):
    """回头看。"""

    id: int = Field(..., description="回头看编号")
    task_id: int = Field(..., description="已销号任务编号")
    scheduled_date: dt.date = Field(..., description="计划日期")
    status: str = Field(..., description="状态：scheduled 待开展、done 已完成")
    result: str = Field(..., description="结果：held 整改成效巩固、rebound 问题反弹（完成后）")
    notes: str = Field(..., description="核查情况")
    done_at: dt.datetime | None = Field(None, description="完成时间")
    rebound_task_id: int | None = Field(None, description="问题反弹时新建的关联任务编号")


class AcceptanceOut(Schema):
    """一项任务的验收销号情况（同任务页“验收销号”栏）。"""

    task_id: int = Field(..., description="任务编号")
    status: str = Field(..., description="任务状态")
    transitions: list[str] = Field(..., description="当前用户可执行的状态操作")
    applications: list[ApplicationOut] = Field(..., description="验收申请，最新的在前")
    notices: list[PublicNoticeOut] = Field(..., description="销号公示，最新的在前")
    look_backs: list[LookBackOut] = Field(..., description="回头看")
    rebound_tasks: list[int] = Field(..., description="由回头看发现反弹而新建的任务编号")


class AcceptanceReviewIn(Schema):
    """验收（验收单位）：与验收页面相同，通过即进入销号公示，退回须写明理由。"""

    decision: Literal["pass", "return"] = Field(..., description="pass 通过并进入公示、return 退回整改")
    reasons: Text = Field("", max_length=5000, description="验收意见或退回理由（退回时必填）")
    check_date: dt.date | None = Field(None, description="现场核查日期")
    check_people: Text = Field("", max_length=200, description="核查人员")
    check_findings: Text = Field("", max_length=5000, description="核查情况")
    criteria: dict[str, bool] = Field(default_factory=dict, description=f"验收标准核对（{CRITERIA_TEXT}）；未写的为 false")
    photos: list[Id] = Field(default_factory=list, max_length=50,
                             description="现场照片：本任务的佐证材料编号（先以“上传佐证材料”上传，类别 acceptance）")
    contact_phone: Text = Field("", max_length=40, description="公示期间异议电话（通过时）")
    contact_email: Text = Field("", max_length=100, description="公示期间异议邮箱（通过时）")


class ObjectionAnswerIn(Schema):
    """答复公示异议（督察整改办）。"""

    answer: Text = Field(..., max_length=5000, description="答复内容")
    upheld: bool = Field(False, description="异议成立：公示撤回，任务退回整改")


class ObjectionUpholdIn(Schema):
    """异议成立（督察整改办）：答复并将任务退回整改。"""

    answer: Text = Field(..., max_length=5000, description="答复内容")


class LookBackIn(Schema):
    """安排回头看（督察整改办，已销号任务）。"""

    scheduled_date: dt.date = Field(..., description="计划日期")


class LookBackRecordIn(Schema):
    """记录回头看结果（督察整改办）。"""

    result: Literal["held", "rebound"] = Field(..., description="held 整改成效巩固、rebound 问题反弹（新建关联任务）")
    notes: Text = Field(..., max_length=5000, description="核查情况")
    rebound_deadline: dt.date | None = Field(None, description="反弹问题整改时限；留空为 90 天后")


class AcceptanceApplicationQuery(Schema):
    status: Literal["pending", "passed", "returned"] | None = Field(None, description="状态")
    awaiting_me: bool = Field(False, description="true：只列等待当前用户验收的申请（同“验收销号”页面）")


class PublicNoticeQuery(Schema):
    status: Literal["open", "ended", "withdrawn"] | None = Field(None, description="状态")


class LookBackQuery(Schema):
    status: Literal["scheduled", "done"] | None = Field(None, description="状态")
    task: Id | None = Field(None, description="只列该任务的回头看")


# ---------------------------------------------------------------- rendering


def _name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _review_out(review: Any) -> dict[str, Any]:
    return {
        "id": review.pk, "decision": review.decision, "reviewer": _name(review.reviewer), "reasons": review.reasons,
        "check_date": review.check_date, "check_people": review.check_people,
        "check_findings": review.check_findings, "criteria": review.criteria,
        "photos": sorted(p.pk for p in review.photos.all()), "created_at": review.created_at,
    }


def _application_out(app: AcceptanceApplication) -> dict[str, Any]:
    review = getattr(app, "review", None)  # a missing one-to-one raises a subclass of AttributeError
    return {
        "id": app.pk, "task_id": app.task_id, "unit": unit_ref(app.unit), "applied_by": _name(app.applied_by),
        "applied_at": app.applied_at, "status": app.status, "statement": app.statement,
        "self_check": app.self_check, "evidence": sorted(e.pk for e in app.evidence.all()),
        "review": _review_out(review) if review is not None else None,
    }


def may_see_objection_contacts(user: Any) -> bool:
    """As on the task page: the office and the discipline body (and superusers)."""
    return bool(getattr(user, "is_superuser", False)) or user_has_role(user, Role.OFFICE, Role.DISCIPLINE)


def _objection_out(o: Objection, contacts: bool) -> dict[str, Any]:
    return {
        "id": o.pk, "content": o.content, "submitted_at": o.submitted_at, "status": o.status, "upheld": o.upheld,
        "answer": o.answer, "answered_at": o.answered_at,
        "contact_name": o.contact_name if contacts else None, "contact": o.contact if contacts else None,
    }


def _notice_out(notice: PublicNotice, user: Any) -> dict[str, Any]:
    contacts = may_see_objection_contacts(user)
    objections = list(notice.objections.all())
    return {
        "id": notice.pk, "task_id": notice.task_id, "task_number": notice.task.number,
        "start_date": notice.start_date, "end_date": notice.end_date, "working_days": notice.working_days,
        "status": notice.status, "summary": notice.summary, "result": notice.result,
        "contact_phone": notice.contact_phone, "contact_email": notice.contact_email,
        "pending_objections": sum(o.status == Objection.Status.PENDING for o in objections),
        "objections": [_objection_out(o, contacts) for o in objections],
    }


def _lookback_out(lb: LookBack) -> dict[str, Any]:
    return {
        "id": lb.pk, "task_id": lb.task_id, "scheduled_date": lb.scheduled_date, "status": lb.status,
        "result": lb.result, "notes": lb.notes, "done_at": lb.done_at, "rebound_task_id": lb.rebound_task_id,
    }


def _applications() -> Any:
    return (AcceptanceApplication.objects.select_related("unit", "applied_by", "review__reviewer", "task")
            .prefetch_related("evidence", "review__photos"))


def _notices() -> Any:
    return PublicNotice.objects.select_related("task").prefetch_related("objections")


def _task(request: ApiRequest, task_id: int) -> Task:
    return get_for_user(request.auth, Task.objects.select_related("plan", "acceptance_unit", "region"), pk=task_id)


def _acceptance(request: ApiRequest, task_id: int) -> dict[str, Any]:
    user = request.auth
    task = _task(request, task_id)
    return {
        "task_id": task.pk, "status": task.status, "transitions": transitions.available_transitions(task, user),
        "applications": [_application_out(a) for a in _applications().filter(task=task).order_by("-applied_at", "-id")],
        "notices": [_notice_out(n, user) for n in _notices().filter(task=task).order_by("-id")],
        "look_backs": [_lookback_out(lb) for lb in LookBack.objects.filter(task=task)],
        "rebound_tasks": list(scope_for(user, task.rebounds.all()).values_list("pk", flat=True)),
    }


class _Rows:
    def __init__(self, queryset: Any, render: Any) -> None:
        self.queryset, self.render = queryset, render

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.render(row) for row in self.queryset[item]]


# ---------------------------------------------------------------- routes: reading


@router.get("/tasks/{task_id}/acceptance", response={200: AcceptanceOut, **READ_ERRORS}, summary="任务的验收销号情况")
def task_acceptance(request: ApiRequest, task_id: int = id_path("任务编号")) -> Any:
    """验收申请与意见、销号公示与异议、回头看，同任务页“验收销号”栏。"""
    return _acceptance(request, task_id)


@router.get("/acceptance/applications", response={200: list[ApplicationOut], **READ_ERRORS}, summary="验收申请清单")
@paginate(Pages)
def application_list(request: ApiRequest, filters: Query[AcceptanceApplicationQuery]) -> Any:
    """当前用户可见任务的验收申请，最早申请的在前；awaiting_me 只列等待当前用户验收的（同“验收销号”页面）。"""
    user = request.auth
    apps = _applications().filter(task__in=scope_for(user, Task.objects.all())).order_by("applied_at", "id")
    if filters.status:
        apps = apps.filter(status=filters.status)
    if filters.awaiting_me:
        pending = apps.filter(status=AcceptanceApplication.Status.PENDING)
        ids = [a.pk for a in pending if {"pass", "return"} & set(transitions.available_transitions(a.task, user))]
        apps = apps.filter(pk__in=ids)
    return _Rows(apps, _application_out)


@router.get("/public-notices", response={200: list[PublicNoticeOut], **READ_ERRORS}, summary="销号公示清单")
@paginate(Pages)
def public_notice_list(request: ApiRequest, filters: Query[PublicNoticeQuery]) -> Any:
    """当前用户可见任务的销号公示，按截止日期排列（同“验收销号”页面）。"""
    user = request.auth
    notices = _notices().filter(task__in=scope_for(user, Task.objects.all())).order_by("end_date", "id")
    if filters.status:
        notices = notices.filter(status=filters.status)
    return _Rows(notices, lambda n: _notice_out(n, user))


@router.get("/public-notices/{public_notice_id}", response={200: PublicNoticeOut, **READ_ERRORS}, summary="销号公示详情")
def public_notice_detail(request: ApiRequest, public_notice_id: int = id_path("公示编号")) -> Any:
    return _notice_out(get_for_user(request.auth, _notices(), pk=public_notice_id), request.auth)


@router.get("/lookbacks", response={200: list[LookBackOut], **READ_ERRORS}, summary="回头看清单")
@paginate(Pages)
def lookback_list(request: ApiRequest, filters: Query[LookBackQuery]) -> Any:
    """当前用户可见任务的回头看，按计划日期从新到旧。"""
    qs = scope_for(request.auth, LookBack.objects.all())
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.task:
        qs = qs.filter(task_id=filters.task)
    return _Rows(qs.order_by("-scheduled_date", "-id"), _lookback_out)


@router.get("/tasks/{task_id}/closure.pdf", response=READ_ERRORS, summary="销号确认单（PDF）",
            openapi_extra={"responses": {"200": {"description": "销号确认单（附件）", "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}})
def closure_certificate(request: ApiRequest, task_id: int = id_path("任务编号")) -> HttpResponse:
    """已销号任务的销号确认单；未销号的任务答复 403，同页面。"""
    from ..documents import closure_certificate_pdf

    task = _task(request, task_id)
    if task.status != TaskStatus.CLOSED:
        raise PermissionDenied(_("任务尚未销号。"))
    response = HttpResponse(closure_certificate_pdf(task), content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition(
        _("销号确认单-任务%(n)s.pdf") % {"n": task.number}, f"closure-{task.pk}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# ---------------------------------------------------------------- routes: writing


@router.post("/tasks/{task_id}/review", response={200: AcceptanceOut, **ERROR_RESPONSES}, summary="验收（通过或退回）")
def task_review(request: ApiRequest, payload: AcceptanceReviewIn, task_id: int = id_path("任务编号")) -> Any:
    """验收单位的验收人员对待验收的申请作出结论，同验收页面：通过（核对五项标准、附现场照片）即进入销号公示；
    退回须写明理由。"""
    user = request.auth
    task = _task(request, task_id)
    if not {"pass", "return"} & set(transitions.available_transitions(task, user)):
        raise PermissionDenied(_("您没有权限验收该任务。"))
    if payload.contact_email:
        try:
            validate_email(payload.contact_email)
        except DjangoValidationError as exc:
            raise ValidationFailed(_("请输入有效的电子邮件地址。"), field="contact_email") from exc
    common: dict[str, Any] = {"reasons": payload.reasons, "check_date": payload.check_date, "check_people": payload.check_people,
              "check_findings": payload.check_findings}
    if payload.decision == "pass":
        photos = list(scope_for(user, Evidence.objects.filter(task=task, pk__in=payload.photos)))
        if len(photos) != len(set(payload.photos)):
            raise ValidationFailed(_("现场照片不存在或不属于本任务。"), field="photos")
        transitions.task_pass_acceptance(
            actor=user, task=task, criteria={k: bool(payload.criteria.get(k)) for k in CRITERIA_KEYS},
            photos=photos, contact_phone=payload.contact_phone, contact_email=payload.contact_email, **common)
    else:
        if not payload.reasons.strip():
            raise ValidationFailed(_("退回必须写明理由。"), field="reasons")
        transitions.task_return_acceptance(actor=user, task=task, **common)
    return _acceptance(request, task_id)


def _objection(request: ApiRequest, objection_id: int) -> Objection:
    return get_for_user(request.auth, Objection.objects.select_related("notice", "notice__task"), pk=objection_id)


@router.post("/objections/{objection_id}/answer", response={200: PublicNoticeOut, **ERROR_RESPONSES},
             summary="答复公示异议")
def objection_answer(request: ApiRequest, payload: ObjectionAnswerIn, objection_id: int = id_path("异议编号")) -> Any:
    """督察整改办答复异议；upheld 为 true 时异议成立，公示撤回，任务退回整改（uphold_objection）。"""
    objection = _objection(request, objection_id)
    transitions.objection_answer(actor=request.auth, objection=objection, answer=payload.answer,
                                 upheld=payload.upheld)
    return _notice_out(_notices().get(pk=objection.notice_id), request.auth)


@router.post("/objections/{objection_id}/uphold", response={200: PublicNoticeOut, **ERROR_RESPONSES},
             summary="异议成立，退回整改")
def objection_uphold(request: ApiRequest, payload: ObjectionUpholdIn, objection_id: int = id_path("异议编号")) -> Any:
    """同“答复公示异议”且 upheld 为 true：公示中 → 整改中。"""
    objection = _objection(request, objection_id)
    transitions.objection_answer(actor=request.auth, objection=objection, answer=payload.answer, upheld=True)
    return _notice_out(_notices().get(pk=objection.notice_id), request.auth)


@router.post("/tasks/{task_id}/lookbacks", response={201: LookBackOut, **ERROR_RESPONSES}, summary="安排回头看")
def lookback_create(request: ApiRequest, payload: LookBackIn, task_id: int = id_path("任务编号")) -> Any:
    """督察整改办对已销号的任务安排回头看。"""
    look_back = lookbacks.lookback_schedule(actor=request.auth, task=_task(request, task_id),
                                            scheduled_date=payload.scheduled_date)
    return Status(201, _lookback_out(look_back))


@router.post("/lookbacks/{lookback_id}/record", response={200: LookBackOut, **ERROR_RESPONSES},
             summary="记录回头看结果")
def lookback_record(request: ApiRequest, payload: LookBackRecordIn, lookback_id: int = id_path("回头看编号")) -> Any:
    """督察整改办记录结果；问题反弹时新建关联任务（原任务保持已销号）。"""
    look_back = get_for_user(request.auth, LookBack.objects.select_related("task"), pk=lookback_id)
    done = lookbacks.lookback_record(actor=request.auth, look_back=look_back, result=payload.result,
                                     notes=payload.notes, rebound_deadline=payload.rebound_deadline)
    return _lookback_out(done)
