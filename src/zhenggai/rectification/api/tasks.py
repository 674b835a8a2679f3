"""API routes of rectification tasks (/api/v1/tasks…). They parse input, call the same selectors,
services and transitions as the pages, and render; the rules live in those modules."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.models import Organization
from zhenggai.accounts.policies import CHANGE, get_for_user, scope_for, user_can
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, EventOut, Id, Text, UnitRef, id_path, unit_ref
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.events import chain_key_for
from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence
from zhenggai.inspections.models import MeasureArea, Plan

from .. import transitions
from ..deadlines import DeadlineError, parse_deadline
from ..models import Task
from ..selectors import SORTS, TaskFilters, task_detail_for_user, task_list_for_user
from ..services import MeasureData, TaskData, task_create, task_data_from, task_update
from ..workflow import Category, DeadlineKind, TaskStatus

router = Router(tags=["整改任务"])

TaskSort = Literal["number", "-number", "deadline", "-deadline", "warning", "status", "updated"]
StatusFilter = Literal["open", "not_started", "in_progress", "acceptance_requested", "in_public_notice", "closed"]
CategoryValue = Literal["water", "air", "soil", "waste", "plastic", "mountain", "shore", "city", "village"]
DeadlineKindValue = Literal["by_date", "immediate", "long_term", "immediate_long_term"]
WarningValue = Literal["red", "yellow", "green"]
TransitionName = Literal["start", "apply", "pass", "return", "uphold_objection", "close"]
assert set(TaskSort.__args__) == set(SORTS)  # type: ignore[attr-defined]
assert set(CategoryValue.__args__) == set(Category.values)  # type: ignore[attr-defined]
assert set(DeadlineKindValue.__args__) == set(DeadlineKind.values)  # type: ignore[attr-defined]
assert set(StatusFilter.__args__) == {"open", *TaskStatus.values}  # type: ignore[attr-defined]


# ---------------------------------------------------------------- schemas


class TaskQuery(Schema):
    """任务清单的筛选与排序，与“整改任务”页面的筛选相同。"""

    inspection: Id | None = Field(None, description="督察编号")
    plan: Id | None = Field(None, description="整改方案编号")
    unit: Id | None = Field(None, description="单位编号：该单位（含下级单位）参与的任务")
    unit_role: Literal["implementing"] | None = Field(None, description="implementing：只看该单位实施的任务")
    category: CategoryValue | None = Field(None, description="九治类别")
    year: int | None = Field(None, ge=1900, le=2200, description="完成年度")
    status: StatusFilter | None = Field(None, description="状态；open 表示未销号且未进入公示")
    deadline_kind: DeadlineKindValue | None = Field(None, description="时限类型")
    warning: WarningValue | None = Field(None, description="预警：red 红灯、yellow 黄牌、green 正常")
    q: Text | None = Field(None, max_length=100, description="关键词（分词检索存在问题、整改目标、措施等）")
    sort: TaskSort = Field("number", description="排序：number、-number、deadline、-deadline、warning、status、updated")

    def to_filters(self) -> TaskFilters:
        params = {k: ("" if v is None else str(v)) for k, v in self.dict().items()}
        return TaskFilters.from_query(params)


class TaskOut(Schema):
    """整改任务（清单中的一行）。"""

    id: int = Field(..., description="任务编号（系统内）")
    plan_id: int = Field(..., description="整改方案编号")
    inspection_id: int = Field(..., description="督察编号")
    number: int = Field(..., description="序号（方案内）")
    title: str = Field(..., description="存在问题")
    goal: str = Field(..., description="整改目标")
    lead_unit: UnitRef | None = Field(None, description="牵头单位")
    implementing_units: list[UnitRef] = Field(..., description="整改实施主体")
    acceptance_unit: UnitRef | None = Field(None, description="验收单位")
    responsible_leader: str = Field(..., description="责任领导")
    deadline: dt.date | None = Field(None, description="整改时限（日期）")
    deadline_text: str = Field(..., description="整改时限（原文）")
    deadline_kind: str = Field(..., description="时限类型：by_date 限期、immediate 立行立改、long_term 长期坚持…")
    due_year: int | None = Field(None, description="完成年度")
    category: str = Field(..., description="九治类别（可为空）")
    status: str = Field(..., description="状态代码")
    status_label: str = Field(..., description="状态（用户语言）")
    warning: str = Field(..., description="预警：red 红灯、yellow 黄牌、green 正常")
    version: int = Field(..., description="版本号：每次修改加一，用于 PATCH 的乐观锁")
    updated_at: dt.datetime = Field(..., description="最后修改时间")


class MeasureOut(Schema):
    """整改措施。"""

    number: int = Field(..., description="序号")
    text: str = Field(..., description="整改措施")
    units: list[UnitRef] = Field(..., description="责任单位")
    deadline: dt.date | None = Field(None, description="完成时限（日期）")
    deadline_text: str = Field(..., description="完成时限（原文）")


class TaskDetailOut(TaskOut):
    """整改任务详情，含措施、配合单位和当前用户可执行的操作。"""

    cooperating_units: list[UnitRef] = Field(..., description="配合单位")
    remarks: str = Field(..., description="备注")
    location_lat: float | None = Field(None, description="问题点位纬度")
    location_lon: float | None = Field(None, description="问题点位经度")
    measures: list[MeasureOut] = Field(..., description="整改措施")
    transitions: list[str] = Field(..., description="当前用户可执行的状态操作（与页面按钮相同）")


class MeasureIn(Schema):
    """整改措施（写入）。"""

    text: Text = Field(..., min_length=1, max_length=5000, description="整改措施")
    units: list[Id] = Field(default_factory=list, max_length=50, description="责任单位编号；留空取整改实施主体")
    deadline: Text | None = Field(None, max_length=100, description="完成时限，写法同整改时限；留空取任务时限")


class TaskWriteBase(Schema):
    title: Text | None = Field(None, max_length=5000, description="存在问题")
    goal: Text | None = Field(None, max_length=5000, description="整改目标")
    implementing_units: list[Id] | None = Field(None, max_length=50, description="整改实施主体（单位编号）")
    lead_unit: Id | None = Field(None, description="牵头单位编号；留空取第一个实施主体")
    cooperating_units: list[Id] | None = Field(None, max_length=50, description="配合单位编号")
    responsible_leader: Text | None = Field(None, max_length=100, description="责任领导")
    acceptance_unit: Id | None = Field(None, description="验收单位编号")
    deadline: Text | None = Field(None, max_length=100,
                                  description="整改时限，写法同页面：2025年12月31日、2025年12月底、立行立改、长期坚持")
    due_year: int | None = Field(None, ge=2000, le=2100, description="完成年度；无具体日期的时限须填写")
    category: CategoryValue | None = Field(None, description="九治类别")
    measure_area: Id | None = Field(None, description="整改举措领域编号（属于该方案）")
    remarks: Text | None = Field(None, max_length=5000, description="备注")
    location_lat: float | None = Field(None, ge=-90, le=90, description="问题点位纬度（与经度同时填写）")
    location_lon: float | None = Field(None, ge=-180, le=180, description="问题点位经度（与纬度同时填写）")
    measures: list[MeasureIn] | None = Field(None, max_length=100, description="整改措施（整体替换）")


class TaskCreateIn(TaskWriteBase):
    """新建整改任务（督察整改办）。"""

    plan: Id = Field(..., description="整改方案编号")
    number: int = Field(..., ge=1, le=100000, description="序号（方案内不重复）")
    title: Text = Field(..., min_length=1, max_length=5000, description="存在问题")
    implementing_units: list[Id] = Field(..., min_length=1, max_length=50, description="整改实施主体（单位编号）")
    deadline: Text = Field(..., min_length=1, max_length=100, description="整改时限，如 2025年12月31日、长期坚持")


class TaskPatchIn(TaskWriteBase):
    """修改整改任务（督察整改办）：只写需要修改的字段。"""

    number: int | None = Field(None, ge=1, le=100000, description="序号")
    version: int | None = Field(None, ge=1, le=2_147_483_647,
                                description="读取时的版本号；与当前版本不同则拒绝（409），以免覆盖他人的修改")


class StartIn(Schema):
    """启动整改。"""

    note: Text = Field("", max_length=1000, description="说明（可选）")


class ApplyIn(Schema):
    """申请验收销号（责任单位负责人）。"""

    statement: Text = Field(..., max_length=10000, description="整改完成情况")
    self_check: dict[str, bool] = Field(..., description="五项标准自查，每项须为 true：measures、solved、mechanism、conduct、records")
    evidence: list[Id] = Field(..., max_length=200, description="佐证材料编号（属于本任务），至少一份")


class ReviewIn(Schema):
    """验收意见（验收单位）。"""

    reasons: Text = Field("", max_length=5000, description="验收意见或退回理由（退回时必填）")
    check_date: dt.date | None = Field(None, description="现场核查日期")
    check_people: Text = Field("", max_length=500, description="核查人员")
    check_findings: Text = Field("", max_length=5000, description="核查情况")


class PassIn(ReviewIn):
    """验收通过并进入销号公示。"""

    contact_phone: Text = Field("", max_length=50, description="公示期间异议电话")
    contact_email: Text = Field("", max_length=100, description="公示期间异议邮箱")


class CloseIn(Schema):
    """销号（督察整改办，公示期满且异议均已答复）。"""

    long_term: bool = Field(False, description="按“完成整改、长期坚持”销号")


# ---------------------------------------------------------------- helpers


def _out(task: Task, user: Any = None, *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": task.pk, "plan_id": task.plan_id, "inspection_id": task.plan.inspection_id, "number": task.number,
        "title": task.title, "goal": task.goal, "lead_unit": unit_ref(task.lead_unit),
        "implementing_units": [unit_ref(u) for u in task.implementing_units.all()],
        "acceptance_unit": unit_ref(task.acceptance_unit), "responsible_leader": task.responsible_leader,
        "deadline": task.deadline, "deadline_text": task.deadline_text, "deadline_kind": task.deadline_kind,
        "due_year": task.due_year, "category": task.category, "status": task.status,
        "status_label": str(task.get_status_display()), "warning": str(getattr(task, "warning", "") or "green"),
        "version": task.version, "updated_at": task.updated_at,
    }
    if detail:
        data.update({
            "cooperating_units": [unit_ref(u) for u in task.cooperating_units.all()],
            "remarks": task.remarks,
            "location_lat": float(task.location_lat) if task.location_lat is not None else None,
            "location_lon": float(task.location_lon) if task.location_lon is not None else None,
            "measures": [{"number": m.number, "text": m.text, "units": [unit_ref(u) for u in m.units.all()],
                          "deadline": m.deadline, "deadline_text": m.deadline_text} for m in task.measures.all()],
            "transitions": transitions.available_transitions(task, user),
        })
    return data


def _detail(request: ApiRequest, task_id: int) -> dict[str, Any]:
    return _out(task_detail_for_user(request.auth, task_id), request.auth, detail=True)


def _task(request: ApiRequest, task_id: int) -> Task:
    return get_for_user(request.auth, Task.objects.select_related("plan", "acceptance_unit", "lead_unit"), pk=task_id)


def _units(user: Any, ids: list[int], field: str) -> list[Organization]:
    """Organizations the user may choose (as in the page's form), in the order given."""
    found = {o.pk: o for o in scope_for(user, Organization.objects.filter(is_active=True, pk__in=ids))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(_("单位 %(ids)s 不存在或不可选。") % {"ids": "、".join(map(str, missing))}, field=field)
    return [found[i] for i in dict.fromkeys(ids)]


def _unit(user: Any, pk: int | None, field: str) -> Organization | None:
    return _units(user, [pk], field)[0] if pk else None


def _deadline(text: str, field: str) -> Any:
    try:
        return parse_deadline(text)
    except DeadlineError as exc:
        raise ValidationFailed(str(exc), field=field) from exc


def _apply_payload(user: Any, data: TaskData, payload: TaskWriteBase, plan: Plan) -> TaskData:
    """Fold the fields sent into `data`, as the page's form does."""
    sent = payload.model_fields_set
    for name in ("title", "goal", "responsible_leader", "remarks", "category"):
        if name in sent:
            setattr(data, name, getattr(payload, name) or "")
    for name in ("location_lat", "location_lon"):
        if name in sent:
            value = getattr(payload, name)
            setattr(data, name, Decimal(f"{value:.6f}") if value is not None else None)
    if (data.location_lat is None) != (data.location_lon is None):
        raise ValidationFailed(_("纬度和经度需同时填写或同时留空。"), field="location_lon")
    if "number" in sent and getattr(payload, "number", None) is not None:
        data.number = payload.number  # type: ignore[attr-defined]
    if "implementing_units" in sent:
        data.implementing_units = _units(user, payload.implementing_units or [], "implementing_units")
    if "cooperating_units" in sent:
        data.cooperating_units = _units(user, payload.cooperating_units or [], "cooperating_units")
    if "lead_unit" in sent:
        data.lead_unit = _unit(user, payload.lead_unit, "lead_unit")
    if data.lead_unit is None and data.implementing_units:
        data.lead_unit = data.implementing_units[0]
    if "acceptance_unit" in sent:
        data.acceptance_unit = _unit(user, payload.acceptance_unit, "acceptance_unit")
    if "measure_area" in sent:
        data.measure_area = (MeasureArea.objects.filter(plan=plan, pk=payload.measure_area).first()
                             if payload.measure_area else None)
        if payload.measure_area and data.measure_area is None:
            raise ValidationFailed(_("整改举措领域不属于该方案。"), field="measure_area")
    if "deadline" in sent and payload.deadline is not None:
        parsed = _deadline(payload.deadline, "deadline")
        data.deadline, data.deadline_kind, data.deadline_text = parsed.date, parsed.kind, parsed.text
        if "due_year" not in sent:
            data.due_year = parsed.date.year if parsed.date else data.due_year
    if "due_year" in sent and payload.due_year is not None:
        data.due_year = payload.due_year
    if data.deadline is None and not data.due_year:
        raise ValidationFailed(_("没有具体日期的时限（如长期坚持）需要填写完成年度。"), field="due_year")
    if "measures" in sent and payload.measures is not None:
        items = []
        for i, m in enumerate(payload.measures, start=1):
            parsed = _deadline(m.deadline, f"measures.{i - 1}.deadline") if m.deadline else None
            items.append(MeasureData(
                number=i, text=m.text,
                units=_units(user, m.units, f"measures.{i - 1}.units") if m.units else list(data.implementing_units),
                deadline=parsed.date if parsed else data.deadline,
                deadline_text=parsed.text if parsed else data.deadline_text,
                deadline_kind=parsed.kind if parsed else data.deadline_kind,
            ))
        data.measures = items
    return data


# ---------------------------------------------------------------- routes


@router.get("/tasks", response={200: list[TaskOut], **READ_ERRORS}, summary="整改任务清单")
@paginate(Pages)
def task_list(request: ApiRequest, filters: Query[TaskQuery]) -> Any:
    """当前用户可见的整改任务，筛选与排序同“整改任务”页面，分页返回。"""
    tasks = task_list_for_user(request.auth, filters.to_filters())
    return _Rows(tasks)


class _Rows:
    """A lazily rendered queryset: the pager slices it, then only the page's rows become dicts."""

    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_out(t) for t in self.queryset[item]]

    def __len__(self) -> int:
        return self.queryset.count()


@router.get("/tasks/{task_id}", response={200: TaskDetailOut, **READ_ERRORS}, summary="整改任务详情")
def task_detail(request: ApiRequest, task_id: int = id_path("任务编号")) -> Any:
    """任务详情；不可见与不存在的任务同样答复 404。"""
    return _detail(request, task_id)


@router.post("/tasks", response={201: TaskDetailOut, **ERROR_RESPONSES}, summary="新建整改任务")
def task_create_api(request: ApiRequest, payload: TaskCreateIn) -> Any:
    """督察整改办在本区域的整改方案中新建任务（同页面“新建任务”）。"""
    plan = get_for_user(request.auth, Plan.objects.select_related("inspection"), pk=payload.plan)
    data = TaskData(number=payload.number, title=payload.title, implementing_units=[])
    data = _apply_payload(request.auth, data, payload, plan)
    task = task_create(actor=request.auth, plan=plan, data=data)
    return Status(201, _detail(request, task.pk))


@router.patch("/tasks/{task_id}", response={200: TaskDetailOut, **ERROR_RESPONSES}, summary="修改整改任务")
def task_patch(request: ApiRequest, payload: TaskPatchIn, task_id: int = id_path("任务编号")) -> Any:
    """督察整改办修改任务；带 version 时，版本不同即拒绝（409 version_conflict）。"""
    task = _task(request, task_id)
    if not user_can(request.auth, CHANGE, task):
        raise PermissionDenied()
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        data = _apply_payload(request.auth, task_data_from(locked), payload, locked.plan)
        task_update(actor=request.auth, task=locked, data=data, expected_version=payload.version)
    return _detail(request, task.pk)


@router.get("/tasks/{task_id}/transitions", response={200: list[TransitionName], **READ_ERRORS},
            summary="可执行的状态操作")
def task_transitions(request: ApiRequest, task_id: int = id_path("任务编号")) -> Any:
    """当前用户此刻可对该任务执行的状态操作，与页面显示的按钮相同。"""
    return transitions.available_transitions(_task(request, task_id), request.auth)


@router.post("/tasks/{task_id}/start", response={200: TaskDetailOut, **ERROR_RESPONSES}, summary="启动整改")
def task_start(request: ApiRequest, payload: StartIn, task_id: int = id_path("任务编号")) -> Any:
    """未启动 → 整改中：实施单位的经办人或负责人。"""
    transitions.task_start(actor=request.auth, task=_task(request, task_id), note=payload.note)
    return _detail(request, task_id)


@router.post("/tasks/{task_id}/apply", response={200: TaskDetailOut, **ERROR_RESPONSES}, summary="申请验收销号")
def task_apply(request: ApiRequest, payload: ApplyIn, task_id: int = id_path("任务编号")) -> Any:
    """整改中 → 申请验收：实施单位（或牵头单位）负责人，附自查和至少一份佐证材料。"""
    task = _task(request, task_id)
    evidence = list(scope_for(request.auth, Evidence.objects.filter(task=task, pk__in=payload.evidence)))
    if len(evidence) != len(set(payload.evidence)):
        raise ValidationFailed(_("佐证材料不存在或不属于本任务。"), field="evidence")
    transitions.task_apply_for_acceptance(actor=request.auth, task=task, statement=payload.statement,
                                          self_check=payload.self_check, evidence=evidence)
    return _detail(request, task_id)


@router.post("/tasks/{task_id}/pass", response={200: TaskDetailOut, **ERROR_RESPONSES}, summary="验收通过")
def task_pass(request: ApiRequest, payload: PassIn, task_id: int = id_path("任务编号")) -> Any:
    """申请验收 → 公示中：验收单位的验收人员；销号公示随即开始。"""
    transitions.task_pass_acceptance(
        actor=request.auth, task=_task(request, task_id), reasons=payload.reasons, check_date=payload.check_date,
        check_people=payload.check_people, check_findings=payload.check_findings,
        contact_phone=payload.contact_phone, contact_email=payload.contact_email,
    )
    return _detail(request, task_id)


@router.post("/tasks/{task_id}/return", response={200: TaskDetailOut, **ERROR_RESPONSES}, summary="退回整改")
def task_return(request: ApiRequest, payload: ReviewIn, task_id: int = id_path("任务编号")) -> Any:
    """申请验收 → 整改中：验收单位退回，须写明理由。"""
    transitions.task_return_acceptance(
        actor=request.auth, task=_task(request, task_id), reasons=payload.reasons, check_date=payload.check_date,
        check_people=payload.check_people, check_findings=payload.check_findings,
    )
    return _detail(request, task_id)


@router.post("/tasks/{task_id}/close", response={200: TaskDetailOut, **ERROR_RESPONSES}, summary="销号")
def task_close(request: ApiRequest, payload: CloseIn, task_id: int = id_path("任务编号")) -> Any:
    """公示中 → 已销号：督察整改办，公示期满、异议均已答复且无成立的异议。"""
    transitions.task_close(actor=request.auth, task=_task(request, task_id), long_term=payload.long_term)
    return _detail(request, task_id)


@router.get("/tasks/{task_id}/events", response={200: list[EventOut], **READ_ERRORS}, summary="任务操作记录")
@paginate(Pages)
def task_events(request: ApiRequest, task_id: int = id_path("任务编号")) -> Any:
    """任务的操作记录，最新的在前（同任务详情页）。"""
    task = _task(request, task_id)
    return Event.objects.filter(chain__key=chain_key_for(task)).order_by("-seq")

