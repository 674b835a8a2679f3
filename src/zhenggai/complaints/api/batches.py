"""API routes of handover batches and complaint statistics (/api/v1/complaint-batches…,
/api/v1/complaints/statistics), and the office's publication of a batch. The same selectors, figures and
services as the pages (`selectors.batch_list_for_user`, `statistics.complaint_statistics`,
`publication.batch_publish`)."""


import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from zhenggai.accounts.policies import get_for_user, scope_for
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, id_path
from zhenggai.core.errors import PermissionDenied

from .. import publication
from .. import statistics as stats
from ..models import Complaint, HandoverBatch
from ..selectors import batch_detail_for_user, batch_list_for_user, today

router = Router(tags=["信访件"])


class BatchOut(Schema):
    """交办批次。计数只含当前用户可见的信访件。"""

    id: int = Field(..., description="批次编号（系统内）")
    inspection_id: int = Field(..., description="督察编号")
    inspection_title: str = Field(..., description="督察名称")
    number: int = Field(..., description="批次（第几批）")
    handed_over: dt.date = Field(..., description="交办日期")
    reply_days: int = Field(..., description="办理时限（天）")
    published_at: dt.datetime | None = Field(None, description="公开时间；未公开为 null")
    visible_count: int = Field(..., description="可见信访件数")
    done_count: int = Field(..., description="其中已办结")
    priority_count: int = Field(..., description="其中重点件")


class Tally(Schema):
    """一组信访件的办理统计。"""

    total: int = Field(..., description="累计交办（件）")
    today: int = Field(..., description="当日交办（件）")
    priority: int = Field(..., description="重点件（件）")
    done: int = Field(..., description="已办结（件）")
    stage_done: int = Field(..., description="阶段性办结（件）")
    not_done: int = Field(..., description="未办结（件）")
    done_on_time: int = Field(..., description="按时办结（件）")
    done_rate: Decimal | None = Field(None, description="办结率（%，一位小数）；无信访件为 null")
    on_time_rate: Decimal | None = Field(None, description="按时办结率（%，一位小数）；无已办结为 null")


class BatchTally(Tally):
    batch_id: int = Field(..., description="批次编号")
    inspection_id: int = Field(..., description="督察编号")
    number: int = Field(..., description="批次（第几批）")
    handed_over: dt.date = Field(..., description="交办日期")


class RegionTally(Tally):
    name: str = Field(..., description="行政区域")


class LabelCount(Schema):
    code: str = Field(..., description="代码")
    label: str = Field(..., description="名称（用户语言）")
    count: int = Field(..., description="件数")


class StatisticsOut(Tally):
    """信访件统计，口径同“信访件统计”页面（一件多种污染类型时分别计入）。"""

    on: dt.date = Field(..., description="统计日期")
    sentence: str = Field(..., description="统计口径的一句话（同页面）")
    by_batch: list[BatchTally] = Field(..., description="按批次")
    by_region: list[RegionTally] = Field(..., description="按行政区域")
    by_type: list[LabelCount] = Field(..., description="按污染类型")
    typed_cases: int = Field(..., description="注明污染类型的件数")
    type_mentions: int = Field(..., description="污染类型合计（一件多类分别计）")
    truthfulness: list[LabelCount] = Field(..., description="按是否属实")
    truthfulness_blank: int = Field(..., description="未填是否属实的件数")
    counters: dict[str, Decimal] = Field(..., description="执法计数合计（罚款金额单位为元）")


class BatchDetailOut(BatchOut):
    """交办批次详情及其统计（可见信访件）。"""

    notes: str = Field(..., description="备注")
    statistics: StatisticsOut = Field(..., description="本批次的统计")
    may_publish: bool = Field(..., description="当前用户能否公开本批次")


class StatisticsQuery(Schema):
    inspection: Id | None = Field(None, description="督察编号")
    batch: Id | None = Field(None, description="交办批次编号")


def _batch(b: HandoverBatch) -> dict[str, Any]:
    return {
        "id": b.pk, "inspection_id": b.inspection_id, "inspection_title": b.inspection.title, "number": b.number,
        "handed_over": b.handed_over, "reply_days": b.reply_days, "published_at": b.published_at,
        "visible_count": getattr(b, "visible_count", 0), "done_count": getattr(b, "done_count", 0),
        "priority_count": getattr(b, "priority_count", 0),
    }


def _tally(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("total", "today", "priority", "done", "stage_done", "not_done", "done_on_time", "done_rate", "on_time_rate")
    return {k: row[k] for k in keys}


def statistics_out(figures: dict[str, Any]) -> dict[str, Any]:
    """`statistics.complaint_statistics` as the API answers it."""
    return {
        **_tally(figures), "on": figures["on"], "sentence": stats.summary_sentence(figures),
        "by_batch": [{**_tally(r), "batch_id": r["batch"].pk, "inspection_id": r["inspection"].pk,
                      "number": r["number"], "handed_over": r["handed_over"]} for r in figures["by_batch"]],
        "by_region": [{**_tally(r), "name": r["name"]} for r in figures["by_region"]],
        "by_type": figures["by_type"], "typed_cases": figures["typed_cases"],
        "type_mentions": figures["type_mentions"], "truthfulness": figures["truthfulness"],
        "truthfulness_blank": figures["truthfulness_blank"], "counters": figures["counters"],
    }


def _batch_detail(user: Any, pk: int) -> dict[str, Any]:
    batch = batch_list_for_user(user).filter(pk=pk).first()
    if batch is None:
        batch = batch_detail_for_user(user, pk)  # raises NotFound as the page does
    figures = stats.complaint_statistics(scope_for(user, Complaint.objects.filter(batch=batch)), on=today())
    return {**_batch(batch), "notes": batch.notes, "statistics": statistics_out(figures),
            "may_publish": publication.may_publish(user, batch)}


@router.get("/complaint-batches", response={200: list[BatchOut], **READ_ERRORS}, summary="交办批次清单")
@paginate(Pages)
def batch_list(request: ApiRequest) -> Any:
    """当前用户可见的交办批次（同“交办批次”页面），最近交办的在前。"""
    return [_batch(b) for b in batch_list_for_user(request.auth)]


@router.get("/complaint-batches/{batch_id}", response={200: BatchDetailOut, **READ_ERRORS}, summary="交办批次详情")
def batch_detail(request: ApiRequest, batch_id: int = id_path("批次编号")) -> Any:
    """批次及其统计；不可见与不存在的批次同样答复 404。本批次的信访件用 /complaints?batch= 查询。"""
    return _batch_detail(request.auth, batch_id)


@router.post("/complaint-batches/{batch_id}/publish", response={200: BatchDetailOut, **ERROR_RESPONSES},
             summary="公开交办批次的办理情况")
def batch_publish(request: ApiRequest, batch_id: int = id_path("批次编号")) -> Any:
    """被督察地区的督察整改办公开整批信访件的办理情况（十列公开表，信访人等信息已隐去）。须每件都已审核通过；
    已公开的批次不能再次公开（409）。"""
    batch = get_for_user(request.auth, HandoverBatch.objects.select_related(
        "inspection__target_region", "inspection__group"), pk=batch_id)
    if not publication.may_publish(request.auth, batch):
        raise PermissionDenied()
    publication.batch_publish(actor=request.auth, batch=batch)
    return _batch_detail(request.auth, batch_id)


@router.get("/complaints/statistics", response={200: StatisticsOut, **READ_ERRORS}, summary="信访件统计")
def complaint_statistics(request: ApiRequest, filters: Query[StatisticsQuery]) -> Any:
    """当前用户可见信访件的统计（可按督察、批次筛选），口径同“信访件统计”页面。"""
    cases = scope_for(request.auth, Complaint.objects.all())
    if filters.inspection:
        cases = cases.filter(inspection_id=filters.inspection)
    if filters.batch:
        cases = cases.filter(batch_id=filters.batch)
    return statistics_out(stats.complaint_statistics(cases, on=today()))
