"""API routes of assessment (考核: /api/v1/assessments…, /api/v1/assessment-rule-sets…) and accountability
(问责: /api/v1/accountability…). They parse input, call the same selectors, policies and services as the
pages, and render; the rules live in those modules. Unit roles see the ranking of their region's
assessments but only their own unit's items, as in the pages."""

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.policies import scope_for, user_region
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, EventOut, Id, RegionRef, Text, id_path
from zhenggai.complaints.models import Complaint
from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.models import Event
from zhenggai.rectification.models import Task

from .models import AccountabilityCase, Assessment, Measure, RuleSet, ScoreItem
from .policies import may_manage, may_read_cases, may_record_case, rule_sets_for, sees_all_units
from .rules import RuleKind
from .selectors import (
    Proposal,
    assessment_for_user,
    assessment_list_for_user,
    case_for_user,
    case_list_for_user,
    item_event_for_user,
    items_for_user,
    open_proposals,
    own_units,
    proposal_for_user,
    ranking_rows,
    unit_for_user,
)
from .services import (
    CaseData,
    RuleData,
    accountability_case_save,
    assessment_compute,
    assessment_create,
    period_bounds,
    rule_set_create,
    rule_set_update,
)

router = Router(tags=["考核与问责"])

RuleKindValue = Literal["yellow_repeated", "red", "missed_report", "acceptance_returned", "rebound",
                        "complaint_overdue", "early_closure", "integrity_confirmed"]
MeasureValue = Literal["admonition", "circulated", "talk", "written_review", "organizational", "disciplinary",
                       "lead_transfer"]
assert set(RuleKindValue.__args__) == set(RuleKind.values)  # type: ignore[attr-defined]
assert set(MeasureValue.__args__) == set(Measure.values)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- schemas: rule sets


class RuleOut(Schema):
    """考核规则。"""

    kind: str = Field(..., description="规则类型代码")
    label: str = Field(..., description="名称")
    points: Decimal = Field(..., description="分值：负数扣分，正数加分")
    params: dict[str, int] = Field(..., description="参数：every（多次亮黄牌：每N次）、days_before（提前销号：至少提前天数）")
    is_active: bool = Field(..., description="是否启用")
    sort_order: int = Field(..., description="排序")


class RuleSetOut(Schema):
    """考核细则。"""

    id: int = Field(..., description="考核细则编号")
    region: RegionRef = Field(..., description="行政区域")
    name: str = Field(..., description="名称")
    description: str = Field(..., description="说明")
    base_points: Decimal = Field(..., description="基础分")
    rules: list[RuleOut] = Field(..., description="规则")
    updated_at: dt.datetime = Field(..., description="最后修改时间")


class RuleIn(Schema):
    """考核规则（写入）。"""

    kind: RuleKindValue = Field(..., description="规则类型（每种最多一条）")
    label: Text = Field(..., min_length=1, max_length=100, description="名称")
    points: Decimal = Field(..., ge=-100, le=100, max_digits=6, decimal_places=2, description="分值：非零，负数扣分，正数加分")
    params: dict[str, int] = Field(default_factory=dict, description="参数：every、days_before（正整数）")
    is_active: bool = Field(True, description="是否启用")
    sort_order: int = Field(0, ge=0, le=32767, description="排序；0 表示按顺序")


class RuleSetIn(Schema):
    """考核细则（写入）。"""

    name: Text = Field(..., min_length=1, max_length=100, description="名称（本区域内不重复）")
    description: Text = Field("", max_length=5000, description="说明")
    base_points: Decimal = Field(Decimal("100"), ge=0, le=1000, max_digits=7, decimal_places=2, description="基础分")


class RuleSetCreateIn(RuleSetIn):
    """新建考核细则（督察整改办）；不写 rules 时使用默认规则。"""

    rules: list[RuleIn] | None = Field(None, max_length=20, description="规则；留空使用默认规则")


class RuleSetUpdateIn(RuleSetIn):
    """修改考核细则（督察整改办）：名称、说明、基础分和全部规则（未列出的规则类型被删除），同页面。"""

    rules: list[RuleIn] = Field(..., max_length=20, description="全部规则（整体替换）")


# ---------------------------------------------------------------- schemas: assessments


class AssessmentOut(Schema):
    """考核。"""

    id: int = Field(..., description="考核编号")
    region: RegionRef = Field(..., description="行政区域")
    title: str = Field(..., description="名称")
    period_kind: str = Field(..., description="考核周期：quarter 季度、year 年度")
    start: dt.date = Field(..., description="起始日期")
    end: dt.date = Field(..., description="截止日期")
    rule_set_id: int = Field(..., description="考核细则编号")
    rule_set_name: str = Field(..., description="考核细则名称")
    as_of: dt.date | None = Field(None, description="计分截至")
    computed_at: dt.datetime | None = Field(None, description="计分时间；未计分为 null")
    digest: str = Field(..., description="计分摘要：规则和事件不变时重新计分结果相同")


class RankingRowOut(Schema):
    """排名中的一行。"""

    rank: int = Field(..., description="名次（并列同名次，下一名次跳过）")
    unit_id: int = Field(..., description="单位编号")
    unit_name: str = Field(..., description="单位名称")
    score: Decimal = Field(..., description="得分")
    deductions: Decimal = Field(..., description="扣分合计（负数）")
    bonuses: Decimal = Field(..., description="加分合计")
    items: int = Field(..., description="计分项数")
    openable: bool = Field(..., description="当前用户能否查看该单位的计分项（单位用户只能看本单位）")


class UsedRuleOut(Schema):
    kind: str = Field(..., description="规则类型代码")
    label: str = Field(..., description="名称")
    points: str = Field(..., description="分值")
    explanation: str = Field(..., description="规则说明")


class AssessmentDetailOut(AssessmentOut):
    """考核详情：计分所用规则和排名（同考核页面）。"""

    base_points: Decimal | None = Field(None, description="计分所用基础分")
    rules_used: list[UsedRuleOut] = Field(..., description="计分所用规则")
    ranking: list[RankingRowOut] = Field(..., description="排名")
    sees_all_units: bool = Field(..., description="当前用户能否查看所有单位的计分项")
    may_manage: bool = Field(..., description="当前用户能否重新计分")


class AssessmentCreateIn(Schema):
    """新建考核（督察整改办，本区域）：创建后立即计分，同页面。"""

    title: Text = Field(..., min_length=1, max_length=120, description="名称，如：2025年度督察整改工作考核")
    period_kind: Literal["quarter", "year"] = Field(..., description="考核周期")
    year: int = Field(..., ge=2000, le=2100, description="年度")
    quarter: int | None = Field(None, ge=1, le=4, description="季度（季度考核必填）")
    rule_set: Id = Field(..., description="考核细则编号")


class ScoreItemOut(Schema):
    """计分项：一次扣分或加分及其依据的记录。"""

    id: int = Field(..., description="计分项编号")
    unit_id: int = Field(..., description="单位编号")
    unit_name: str = Field(..., description="单位名称")
    rule_kind: str = Field(..., description="规则类型代码")
    rule_label: str = Field(..., description="规则")
    points: Decimal = Field(..., description="分值")
    date: dt.date = Field(..., description="日期")
    reason: str = Field(..., description="事由")
    event_id: int | None = Field(None, description="依据记录（操作记录）编号")
    task_id: int | None = Field(None, description="整改任务编号")
    complaint_id: int | None = Field(None, description="信访件编号")


class ItemEventOut(Schema):
    """计分项所依据的操作记录及由它得出的计分项。"""

    id: int = Field(..., description="记录编号")
    created_at: dt.datetime = Field(..., description="时间")
    actor_name: str = Field(..., description="操作人")
    verb: str = Field(..., description="动作代码")
    object_repr: str = Field(..., description="对象")
    data: dict[str, Any] = Field(..., description="记录内容")
    items: list[ScoreItemOut] = Field(..., description="由该记录得出的计分项")


# ---------------------------------------------------------------- schemas: accountability


class PersonOut(Schema):
    name: str = Field(..., description="姓名")
    post: str = Field(..., description="单位及职务")


class CaseOut(Schema):
    """问责情况。"""

    id: int = Field(..., description="问责编号")
    region: RegionRef = Field(..., description="行政区域")
    title: str = Field(..., description="事由")
    date: dt.date = Field(..., description="决定日期")
    description: str = Field(..., description="基本情况")
    measures: list[str] = Field(..., description="问责措施代码")
    measure_labels: list[str] = Field(..., description="问责措施（用户语言）")
    people: list[PersonOut] = Field(..., description="被问责人")
    lead_transferred_to: str = Field(..., description="线索移送至")
    tasks: list[int] = Field(..., description="关联整改任务编号")
    complaints: list[int] = Field(..., description="关联信访件编号")
    proposal_event_id: int | None = Field(None, description="来源建议（操作记录编号）")
    recorded_by: str = Field(..., description="记录人")
    updated_at: dt.datetime = Field(..., description="最后修改时间")


class PersonIn(Schema):
    name: Text = Field(..., min_length=1, max_length=60, description="姓名")
    post: Text = Field("", max_length=120, description="单位及职务")


class CaseIn(Schema):
    """记录或修改问责情况（纪检监察机关，本区域），同页面。"""

    title: Text = Field(..., min_length=1, max_length=200, description="事由")
    date: dt.date = Field(..., description="决定日期")
    measures: list[MeasureValue] = Field(..., min_length=1, max_length=7, description="问责措施")
    people: list[PersonIn] = Field(..., min_length=1, max_length=100, description="被问责人")
    lead_transferred_to: Text = Field("", max_length=120, description="线索移送至（选择移送问题线索时必填）")
    description: Text = Field("", max_length=20000, description="基本情况")
    tasks: list[Id] = Field(default_factory=list, max_length=200, description="关联整改任务编号")
    complaints: list[Id] = Field(default_factory=list, max_length=200, description="关联信访件编号")


class CaseCreateIn(CaseIn):
    proposal: Id | None = Field(None, description="所回应的建议（/accountability/proposals 中的 event_id）")


class ProposalOut(Schema):
    """问责阶梯中尚未回应的建议。"""

    event_id: int = Field(..., description="建议的记录编号（新建问责时作为 proposal）")
    kind: str = Field(..., description="accountability 启动问责建议、talk 约谈建议")
    task_id: int = Field(..., description="整改任务编号")
    task_number: int = Field(..., description="任务序号")
    task_title: str = Field(..., description="存在问题")
    notice_id: int | None = Field(None, description="约谈建议的督办通知编号")
    day: dt.date = Field(..., description="日期")
    text: str = Field(..., description="理由")


# ---------------------------------------------------------------- helpers


def _region(r: Any) -> dict[str, Any]:
    return {"id": r.pk, "name": r.name}


def _rule_set(rs: RuleSet) -> dict[str, Any]:
    return {"id": rs.pk, "region": _region(rs.region), "name": rs.name, "description": rs.description,
            "base_points": rs.base_points, "updated_at": rs.updated_at,
            "rules": [{"kind": r.kind, "label": r.label, "points": r.points, "params": r.params or {},
                       "is_active": r.is_active, "sort_order": r.sort_order} for r in rs.rules.all()]}


def _rule_sets(user: Any) -> Any:
    """Rule sets as the page lists them; a user whom the page refuses (403) is refused here too."""
    if not may_manage(user, None):
        raise PermissionDenied()
    return rule_sets_for(user).select_related("region").prefetch_related("rules")


def _rules(rules: list[RuleIn]) -> list[RuleData]:
    return [RuleData(kind=r.kind, label=r.label, points=r.points, params=dict(r.params), is_active=r.is_active,
                     sort_order=r.sort_order) for r in rules]


def _own_region_for_managing(user: Any) -> Any:
    region = user_region(user)
    if region is None or not may_manage(user, region):
        raise PermissionDenied()
    return region


def _assessment(a: Assessment) -> dict[str, Any]:
    return {"id": a.pk, "region": _region(a.region), "title": a.title, "period_kind": a.period_kind,
            "start": a.start, "end": a.end, "rule_set_id": a.rule_set_id, "rule_set_name": a.rule_set.name,
            "as_of": a.as_of, "computed_at": a.computed_at, "digest": a.digest}


def _ranking(user: Any, a: Assessment) -> list[dict[str, Any]]:
    openable = own_units(user, a)
    return [{"rank": r.rank, "unit_id": r.unit_id, "unit_name": r.unit_name, "score": r.score,
             "deductions": r.deductions, "bonuses": r.bonuses, "items": r.items, "openable": r.unit_id in openable}
            for r in ranking_rows(assessment=a)]


def _assessment_detail(user: Any, pk: int) -> dict[str, Any]:
    a = assessment_for_user(user, pk)
    return {**_assessment(a), "base_points": a.base_points,
            "rules_used": [{k: str(rule.get(k, "")) for k in ("kind", "label", "points", "explanation")}
                           for rule in a.rules_used or []],
            "ranking": _ranking(user, a), "sees_all_units": sees_all_units(user, a),
            "may_manage": may_manage(user, a.region)}


def _item(i: ScoreItem) -> dict[str, Any]:
    return {"id": i.pk, "unit_id": i.unit_id, "unit_name": i.unit.name, "rule_kind": i.rule_kind,
            "rule_label": i.rule_label, "points": i.points, "date": i.date, "reason": i.reason,
            "event_id": i.event_id, "task_id": i.task_id, "complaint_id": i.complaint_id}


def _case(c: AccountabilityCase) -> dict[str, Any]:
    return {"id": c.pk, "region": _region(c.region), "title": c.title, "date": c.date, "description": c.description,
            "measures": list(c.measures), "measure_labels": c.measure_labels,
            "people": [{"name": p.name, "post": p.post} for p in c.people.all()],
            "lead_transferred_to": c.lead_transferred_to,
            "tasks": sorted(c.tasks.values_list("pk", flat=True)),
            "complaints": sorted(c.complaints.values_list("pk", flat=True)),
            "proposal_event_id": c.proposal_event_id,
            "recorded_by": c.recorded_by.get_full_name() or c.recorded_by.username, "updated_at": c.updated_at}


def _proposal(p: Proposal) -> dict[str, Any]:
    return {"event_id": p.event.pk, "kind": p.kind, "task_id": p.task.pk, "task_number": p.task.number,
            "task_title": p.task.title, "notice_id": p.notice.pk if p.notice else None, "day": p.day, "text": p.text}


def _case_data(user: Any, payload: CaseIn, proposal: Event | None) -> CaseData:
    """The form's choices: tasks and complaints the user can see (others are refused as invalid)."""
    tasks = list(scope_for(user, Task.objects.filter(pk__in=payload.tasks)).select_related("region"))
    if len(tasks) != len(set(payload.tasks)):
        raise ValidationFailed(_("关联的整改任务不存在或不可选。"), field="tasks")
    complaints = list(scope_for(user, Complaint.objects.filter(pk__in=payload.complaints))
                      .select_related("inspection__target_region"))
    if len(complaints) != len(set(payload.complaints)):
        raise ValidationFailed(_("关联的信访件不存在或不可选。"), field="complaints")
    return CaseData(title=payload.title, date=payload.date, description=payload.description,
                    measures=list(payload.measures), people=[(p.name, p.post) for p in payload.people],
                    lead_transferred_to=payload.lead_transferred_to, tasks=tasks, complaints=complaints,
                    proposal_event=proposal)


def _cases(user: Any) -> Any:
    if not may_read_cases(user):
        raise PermissionDenied()  # as the list page (403)
    return case_list_for_user(user).prefetch_related("tasks", "complaints")


# ---------------------------------------------------------------- routes: rule sets


@router.get("/assessment-rule-sets", response={200: list[RuleSetOut], **READ_ERRORS}, summary="考核细则清单")
@paginate(Pages)
def rule_set_list(request: ApiRequest) -> Any:
    """督察整改办可见的考核细则（本区域及下级区域）；其他角色 403，同页面。"""
    return [_rule_set(rs) for rs in _rule_sets(request.auth)]


@router.get("/assessment-rule-sets/{rule_set_id}", response={200: RuleSetOut, **READ_ERRORS}, summary="考核细则详情")
def rule_set_detail(request: ApiRequest, rule_set_id: int = id_path("考核细则编号")) -> Any:
    rule_set = rule_sets_for(request.auth).filter(pk=rule_set_id).first()
    if rule_set is None:
        raise NotFound()
    return _rule_set(rule_set)


@router.post("/assessment-rule-sets", response={201: RuleSetOut, **ERROR_RESPONSES}, summary="新建考核细则")
def rule_set_create_api(request: ApiRequest, payload: RuleSetCreateIn) -> Any:
    """督察整改办为本区域新建考核细则；不写规则时使用默认规则（同页面）。"""
    region = _own_region_for_managing(request.auth)
    rule_set = rule_set_create(actor=request.auth, region=region, name=payload.name, description=payload.description,
                               base_points=payload.base_points,
                               rules=_rules(payload.rules) if payload.rules is not None else None)
    return Status(201, _rule_set(RuleSet.objects.select_related("region").get(pk=rule_set.pk)))


@router.put("/assessment-rule-sets/{rule_set_id}", response={200: RuleSetOut, **ERROR_RESPONSES},
            summary="修改考核细则")
def rule_set_update_api(request: ApiRequest, payload: RuleSetUpdateIn,
                        rule_set_id: int = id_path("考核细则编号")) -> Any:
    """督察整改办修改考核细则（整体替换规则）；已有考核重新计分后按新规则计算。"""
    rule_set = rule_sets_for(request.auth).filter(pk=rule_set_id).select_related("region").first()
    if rule_set is None:
        raise NotFound()
    rule_set_update(actor=request.auth, rule_set=rule_set, name=payload.name, description=payload.description,
                    base_points=payload.base_points, rules=_rules(payload.rules))
    return _rule_set(RuleSet.objects.select_related("region").get(pk=rule_set.pk))


# ---------------------------------------------------------------- routes: assessments


@router.get("/assessments", response={200: list[AssessmentOut], **READ_ERRORS}, summary="考核清单")
@paginate(Pages)
def assessment_list(request: ApiRequest) -> Any:
    """当前用户可见的考核（同“考核”页面），最近的在前。"""
    return [_assessment(a) for a in assessment_list_for_user(request.auth)]


@router.post("/assessments", response={201: AssessmentDetailOut, **ERROR_RESPONSES}, summary="新建考核并计分")
def assessment_create_api(request: ApiRequest, payload: AssessmentCreateIn) -> Any:
    """督察整改办为本区域新建考核（年度或季度）并立即计分，同页面。"""
    region = _own_region_for_managing(request.auth)
    rule_set = rule_sets_for(request.auth).filter(pk=payload.rule_set).select_related("region").first()
    if rule_set is None:
        raise ValidationFailed(_("考核细则不存在或不可选。"), field="rule_set")
    start, end = period_bounds(payload.period_kind, payload.year, payload.quarter)
    assessment = assessment_create(actor=request.auth, region=region, title=payload.title,
                                   period_kind=payload.period_kind, start=start, end=end, rule_set=rule_set)
    assessment_compute(assessment=assessment, actor=request.auth)
    return Status(201, _assessment_detail(request.auth, assessment.pk))


@router.get("/assessments/{assessment_id}", response={200: AssessmentDetailOut, **READ_ERRORS}, summary="考核详情与排名")
def assessment_detail(request: ApiRequest, assessment_id: int = id_path("考核编号")) -> Any:
    """考核、计分所用规则和排名；不可见与不存在的考核同样答复 404。"""
    return _assessment_detail(request.auth, assessment_id)


@router.post("/assessments/{assessment_id}/compute", response={200: AssessmentDetailOut, **ERROR_RESPONSES},
             summary="重新计分")
def assessment_compute_api(request: ApiRequest, assessment_id: int = id_path("考核编号")) -> Any:
    """督察整改办按当前规则和记录重新计分；规则和记录不变时结果相同（计分摘要不变）。"""
    assessment = assessment_for_user(request.auth, assessment_id)
    if not may_manage(request.auth, assessment.region):
        raise PermissionDenied()
    assessment_compute(assessment=assessment, actor=request.auth)
    return _assessment_detail(request.auth, assessment_id)


@router.get("/assessments/{assessment_id}/ranking", response={200: list[RankingRowOut], **READ_ERRORS},
            summary="考核排名")
def assessment_ranking(request: ApiRequest, assessment_id: int = id_path("考核编号")) -> Any:
    """各单位得分，从高到低（并列同名次）。"""
    return _ranking(request.auth, assessment_for_user(request.auth, assessment_id))


@router.get("/assessments/{assessment_id}/items", response={200: list[ScoreItemOut], **READ_ERRORS},
            summary="计分项")
@paginate(Pages)
def assessment_items(request: ApiRequest, assessment_id: int = id_path("考核编号")) -> Any:
    """当前用户可见的计分项：区域角色看所有单位，单位用户只看本单位（含下级单位）。"""
    assessment = assessment_for_user(request.auth, assessment_id)
    return [_item(i) for i in items_for_user(request.auth, assessment)]


@router.get("/assessments/{assessment_id}/units/{unit_id}/items", response={200: list[ScoreItemOut], **READ_ERRORS},
            summary="单位的计分项")
@paginate(Pages)
def assessment_unit_items(request: ApiRequest, assessment_id: int = id_path("考核编号"),
                          unit_id: int = id_path("单位编号")) -> Any:
    """一个单位的计分项及其依据；单位用户只能查看本单位（其他单位 404，同页面）。"""
    assessment = assessment_for_user(request.auth, assessment_id)
    unit = unit_for_user(request.auth, assessment, unit_id)
    return [_item(i) for i in items_for_user(request.auth, assessment, unit)]


@router.get("/assessments/{assessment_id}/events/{event_id}", response={200: ItemEventOut, **READ_ERRORS},
            summary="计分依据的记录")
def assessment_event(request: ApiRequest, assessment_id: int = id_path("考核编号"),
                     event_id: int = id_path("记录编号")) -> Any:
    """某计分项所依据的操作记录（只限当前用户可见的计分项）。"""
    assessment = assessment_for_user(request.auth, assessment_id)
    event, items = item_event_for_user(request.auth, assessment, event_id)
    return {"id": event.pk, "created_at": event.created_at, "actor_name": event.actor_name, "verb": event.verb,
            "object_repr": event.object_repr, "data": event.data or {}, "items": [_item(i) for i in items]}


# ---------------------------------------------------------------- routes: accountability


@router.get("/accountability/cases", response={200: list[CaseOut], **READ_ERRORS}, summary="问责清单")
@paginate(Pages)
def case_list(request: ApiRequest) -> Any:
    """本区域的问责情况：督察整改办、区领导和纪检监察机关可见，其他角色 403（同页面）。"""
    return [_case(c) for c in _cases(request.auth)]


@router.get("/accountability/cases/{case_id}", response={200: CaseOut, **READ_ERRORS}, summary="问责详情")
def case_detail(request: ApiRequest, case_id: int = id_path("问责编号")) -> Any:
    return _case(case_for_user(request.auth, case_id))


@router.get("/accountability/cases/{case_id}/events", response={200: list[EventOut], **READ_ERRORS},
            summary="问责修改记录")
@paginate(Pages)
def case_events(request: ApiRequest, case_id: int = id_path("问责编号")) -> Any:
    case = case_for_user(request.auth, case_id)
    return Event.objects.filter(chain__key=f"accountabilitycase:{case.pk}").order_by("seq")


@router.post("/accountability/cases", response={201: CaseOut, **ERROR_RESPONSES}, summary="记录问责")
def case_create(request: ApiRequest, payload: CaseCreateIn) -> Any:
    """纪检监察机关记录本区域的问责情况，可回应问责阶梯中的一条建议（proposal）。"""
    region = user_region(request.auth)
    if not may_read_cases(request.auth) or region is None or not may_record_case(request.auth, region):
        raise PermissionDenied()
    proposal = proposal_for_user(request.auth, payload.proposal).event if payload.proposal else None
    case = accountability_case_save(actor=request.auth, region=region,
                                    data=_case_data(request.auth, payload, proposal))
    return Status(201, _case(case_for_user(request.auth, case.pk)))


@router.put("/accountability/cases/{case_id}", response={200: CaseOut, **ERROR_RESPONSES}, summary="修改问责")
def case_update(request: ApiRequest, payload: CaseIn, case_id: int = id_path("问责编号")) -> Any:
    """纪检监察机关修改问责情况（整体替换，同页面）。"""
    case = case_for_user(request.auth, case_id)
    if not may_record_case(request.auth, case.region):
        raise PermissionDenied()
    accountability_case_save(actor=request.auth, case=case, data=_case_data(request.auth, payload, None))
    return _case(case_for_user(request.auth, case_id))


@router.get("/accountability/proposals", response={200: list[ProposalOut], **READ_ERRORS}, summary="待回应的问责建议")
def proposal_list(request: ApiRequest) -> Any:
    """问责阶梯中尚未有问责情况回应的建议（多次红灯启动问责、约谈建议），最新的在前；同问责页面。"""
    if not may_read_cases(request.auth):
        raise PermissionDenied()
    return [_proposal(p) for p in open_proposals(request.auth)]
