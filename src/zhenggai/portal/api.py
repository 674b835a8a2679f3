"""The public part of the API (/api/v1/public/…, no authentication): exactly what the portal shows and
nothing more. Every answer is built from the portal's public reads (`selectors`,
`complaints.publication`), with the same fields as the portal's open data (`opendata`, /portal/data/…),
so what is public is decided in one place. Complaint cases appear only as the ten published columns of
published batches (`published_data`) — never the complainant, staff names or internal notes.

Caching as the portal's pages (`caching`): every answer carries `Cache-Control: public, max-age=60`, an
ETag derived from the fingerprint of the public data (with the route, its arguments and query, the
language and the site), and Last-Modified; a matching If-None-Match answers 304 before anything is read.
"""

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from ninja import Field, Query, Router, Schema

from zhenggai.api.errors import READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import Id, id_path
from zhenggai.complaints import publication
from zhenggai.complaints.redaction import mask_text
from zhenggai.complaints.statistics import complaint_statistics, summary_sentence
from zhenggai.core.errors import NotFound
from zhenggai.rectification.models import Objection
from zhenggai.rectification.workflow import Category, ScheduleJudgement, TaskStatus

from . import selectors
from .caching import MAX_AGE, absolute_url, data_fingerprint, site_url

# the open data's row builders: the API answers the very same rows
from .opendata import _notice_rows, _plan_rows, _result_rows

router = Router(tags=["公开信息（无需认证）"], auth=None)

StatusValue = Literal["not_started", "in_progress", "acceptance_requested", "in_public_notice", "closed"]
CategoryValue = Literal["water", "air", "soil", "waste", "plastic", "mountain", "shore", "city", "village"]
ScheduleValue = Literal["not_started", "on_schedule", "behind", "ahead"]
assert set(StatusValue.__args__) == set(TaskStatus.values)  # type: ignore[attr-defined]
assert set(CategoryValue.__args__) == set(Category.values)  # type: ignore[attr-defined]
assert set(ScheduleValue.__args__) == set(ScheduleJudgement.values)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- schemas


class PublicPlanRow(Schema):
    """公开的整改方案（同开放数据 plans）。"""

    id: int = Field(..., description="方案编号")
    title: str = Field(..., description="方案名称")
    inspection: str = Field(..., description="督察")
    document_number: str = Field(..., description="文号")
    approved_date: dt.date | None = Field(None, description="印发日期")
    published_date: dt.date = Field(..., description="公开日期")
    tasks: int = Field(..., description="整改任务数")
    tasks_closed: int = Field(..., description="已销号任务数")
    url: str = Field(..., description="门户网页")


class PublicTitleText(Schema):
    title: str = Field(..., description="标题")
    text: str = Field(..., description="内容")


class PublicAreaOut(Schema):
    title: str = Field(..., description="整改举措领域")
    subareas: list[str] = Field(..., description="分项")


class PublicYearFigure(Schema):
    year: int = Field(..., description="完成年度")
    total: int = Field(..., description="任务数")
    closed: int = Field(..., description="已销号数")


class PublicTaskFigures(Schema):
    """任务统计。"""

    total: int = Field(..., description="整改任务数")
    closed: int = Field(..., description="已销号")
    in_notice: int = Field(..., description="公示中")
    percent: int | None = Field(None, description="销号比例（%）；无任务为 null")
    by_year: list[PublicYearFigure] = Field(..., description="按完成年度")


class PlanDetail(PublicPlanRow):
    """公开的整改方案详情（同门户方案页）。"""

    summary: str = Field(..., description="总体要求")
    goals: list[PublicTitleText] = Field(..., description="整改目标")
    measure_areas: list[PublicAreaOut] = Field(..., description="整改举措领域")
    guarantee_measures: list[PublicTitleText] = Field(..., description="保障措施")
    figures: PublicTaskFigures = Field(..., description="任务统计")


class PublicTaskRow(Schema):
    """方案任务表中的一行（同开放数据 plans/<id>/tasks）。"""

    id: int = Field(..., description="任务编号")
    number: int = Field(..., description="序号")
    problem: str = Field(..., description="存在问题")
    goal: str = Field(..., description="整改目标")
    implementing_units: list[str] = Field(..., description="整改实施主体")
    lead_unit: str = Field(..., description="牵头单位")
    acceptance_unit: str = Field(..., description="验收单位")
    deadline: str = Field(..., description="整改时限")
    deadline_date: dt.date | None = Field(None, description="时限日期")
    due_year: int | None = Field(None, description="完成年度")
    category: str = Field(..., description="九治类别")
    measure_area: str = Field(..., description="整改举措领域")
    status: str = Field(..., description="状态")
    schedule: str = Field(..., description="序时进度")
    url: str = Field(..., description="门户网页")


class PublicTaskQuery(Schema):
    """方案任务表的筛选，同门户方案页。"""

    status: StatusValue | None = Field(None, description="状态")
    year: int | None = Field(None, ge=1000, le=9999, description="完成年度")
    unit: Id | None = Field(None, description="单位编号（实施、牵头或验收）")
    category: CategoryValue | None = Field(None, description="九治类别")
    schedule: ScheduleValue | None = Field(None, description="序时进度")

    def to_filter(self) -> selectors.TaskFilter:
        return selectors.TaskFilter.from_query({k: "" if v is None else str(v) for k, v in self.dict().items()})


class PublicMeasureOut(Schema):
    text: str = Field(..., description="整改措施")
    units: list[str] = Field(..., description="责任单位")
    deadline: str = Field(..., description="完成时限")


class PublicPhotoOut(Schema):
    category: str = Field(..., description="before_photo 整改前、after_photo 整改后")
    description: str = Field(..., description="说明")
    captured_at: dt.date | None = Field(None, description="拍摄日期")
    url: str = Field(..., description="照片")
    thumbnail_url: str = Field(..., description="缩略图")


class PublicTaskDetail(Schema):
    """公开的整改任务（同门户任务页）。"""

    id: int = Field(..., description="任务编号")
    plan_id: int = Field(..., description="方案编号")
    plan: str = Field(..., description="整改方案")
    number: int = Field(..., description="序号")
    problem: str = Field(..., description="存在问题")
    goal: str = Field(..., description="整改目标")
    implementing_units: list[str] = Field(..., description="整改实施主体")
    lead_unit: str = Field(..., description="牵头单位")
    acceptance_unit: str = Field(..., description="验收单位")
    deadline: str = Field(..., description="整改时限")
    deadline_date: dt.date | None = Field(None, description="时限日期")
    due_year: int | None = Field(None, description="完成年度")
    category: str = Field(..., description="九治类别")
    measure_area: str = Field(..., description="整改举措领域")
    region: str = Field(..., description="行政区域")
    status: str = Field(..., description="状态")
    schedule: str = Field(..., description="序时进度")
    rebound_of: int | None = Field(None, description="回头看发现问题反弹时，原任务编号（原任务公开时）")
    measures: list[PublicMeasureOut] = Field(..., description="整改措施")
    photos: list[PublicPhotoOut] = Field(..., description="整改前后照片（可公开的）")
    url: str = Field(..., description="门户网页")


class PublicTimelineEntry(Schema):
    """任务的一条公开动态。"""

    kind: str = Field(..., description="progress 整改进展、accepted 验收通过、notice 销号公示、closed 销号")
    date: dt.date = Field(..., description="日期")
    title: str = Field(..., description="标题")
    text: str = Field(..., description="内容（已隐去电话、身份证号和邮箱）")
    percent: int | None = Field(None, description="完成比例（%）")
    notice_id: int | None = Field(None, description="公示编号")


class PublicNoticeRow(Schema):
    """验收销号公示（同开放数据 notices）。"""

    id: int = Field(..., description="公示编号")
    plan: str = Field(..., description="整改方案")
    task_number: int = Field(..., description="任务序号")
    implementing_units: list[str] = Field(..., description="整改实施主体")
    summary: str = Field(..., description="整改任务概述")
    result: str = Field(..., description="整改情况")
    start_date: dt.date = Field(..., description="公示开始")
    end_date: dt.date = Field(..., description="公示截止")
    working_days: int = Field(..., description="公示期（工作日）")
    status: str = Field(..., description="状态：公示中或公示期满")
    url: str = Field(..., description="门户网页")


class PublicAnsweredObjection(Schema):
    content: str = Field(..., description="异议内容（已隐去电话、身份证号和邮箱）")
    answer: str = Field(..., description="答复")


class NoticeDetail(PublicNoticeRow):
    """公示详情（同门户公示页）：异议只公开件数和已答复的内容与答复，从不公开异议人。"""

    is_open: bool = Field(..., description="是否仍在受理异议")
    objection_count: int = Field(..., description="收到的异议数")
    answered: list[PublicAnsweredObjection] = Field(..., description="已答复的异议")


class PublicResultRow(Schema):
    """成效清单中的一项（同开放数据 results）。"""

    category: str = Field(..., description="九治类别")
    plan: str = Field(..., description="整改方案")
    number: int = Field(..., description="任务序号")
    problem: str = Field(..., description="存在问题")
    implementing_units: list[str] = Field(..., description="整改实施主体")
    change: str = Field(..., description="整改成效")
    closed_date: dt.date | None = Field(None, description="销号日期")
    url: str = Field(..., description="门户网页")


class PublicBatchRow(Schema):
    """已公开的信访件交办批次（同门户“信访件办理情况”页）。"""

    id: int = Field(..., description="批次编号")
    inspection: str = Field(..., description="督察")
    group: str = Field(..., description="督察组")
    number: int = Field(..., description="批次（第几批）")
    handed_over: dt.date = Field(..., description="交办日期")
    published_date: dt.date = Field(..., description="公开日期")
    count: int = Field(..., description="公开的信访件数")
    url: str = Field(..., description="门户网页")


class PublicComplaintRow(Schema):
    """公开表中的一行：十列（序号、受理编号、交办问题基本情况、行政区域、污染类型、调查核实情况、是否属实、
    处理和整改情况、是否办结、责任人被处理情况），已隐去个人信息。"""

    cells: list[str] = Field(..., description="十列的内容，顺序同 columns")
    priority: bool = Field(..., description="是否重点件")
    updated: dt.datetime | None = Field(None, description="批次公开后更新（持续整改办理情况）的时间")


class BatchDetail(PublicBatchRow):
    columns: list[str] = Field(..., description="十列的列名")
    rows: list[PublicComplaintRow] = Field(..., description="公开的信访件")


class PublicComplaintSection(Schema):
    inspection: str = Field(..., description="督察")
    sentence: str = Field(..., description="累计办理情况（同门户）")
    total: int = Field(..., description="累计公开交办（件）")
    done: int = Field(..., description="已办结（件）")
    done_rate: Decimal | None = Field(None, description="办结率（%）")


class PublicComplaintFigures(Schema):
    total: int = Field(..., description="公开的信访件数")
    done: int = Field(..., description="其中公开为已办结")


class PublicFiguresOut(Schema):
    """门户首页的总体数字。"""

    tasks: PublicTaskFigures = Field(..., description="公开方案的整改任务统计")
    complaints: PublicComplaintFigures = Field(..., description="公开的信访件")
    complaint_inspections: list[PublicComplaintSection] = Field(..., description="各督察公开信访件的累计办理情况")
    open_notices: int = Field(..., description="公示中的验收销号公示数")


class PublicPlanPage(Schema):
    items: list[PublicPlanRow]
    count: int = Field(..., description="总条数")
    page: int = Field(..., description="当前页码")
    page_size: int = Field(..., description="每页条数")


class TaskPage(PublicPlanPage):
    items: list[PublicTaskRow]  # type: ignore[assignment]


class NoticePage(PublicPlanPage):
    items: list[PublicNoticeRow]  # type: ignore[assignment]


class ResultPage(PublicPlanPage):
    items: list[PublicResultRow]  # type: ignore[assignment]


class BatchPage(PublicPlanPage):
    items: list[PublicBatchRow]  # type: ignore[assignment]


# ---------------------------------------------------------------- caching


def _etag(name: str, request: HttpRequest, fingerprint: str, args: Iterable[Any]) -> str:
    raw = "|".join(str(p) for p in ("api", name, *args, fingerprint, translation.get_language(),
                                    site_url() or request.get_host()))
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def public_answer(request: HttpRequest, response: HttpResponse, name: str, args: Iterable[Any],
                  build: Callable[[], Any]) -> Any:
    """A 304 when the client's copy is current, else `build()`; both with the portal's caching headers."""
    fingerprint, latest = data_fingerprint()
    etag = _etag(name, request, fingerprint, args)
    modified = int(latest.timestamp()) if latest else None
    not_modified = get_conditional_response(request, etag=etag, last_modified=modified)
    target = not_modified if not_modified is not None else response
    target["ETag"] = etag
    target["Cache-Control"] = f"public, max-age={MAX_AGE}"
    if latest is not None:
        from django.utils.http import http_date

        target["Last-Modified"] = http_date(latest.timestamp())
    return not_modified if not_modified is not None else build()


def _paged(rows: list[dict[str, Any]], pages: Pages.Input) -> dict[str, Any]:
    start = (pages.page - 1) * pages.page_size
    return {"items": rows[start : start + pages.page_size], "count": len(rows), "page": pages.page,
            "page_size": pages.page_size}


def _task_row(request: HttpRequest, row: selectors.TaskRow) -> dict[str, Any]:
    """One row of a plan's task table, as the open data's plans/<id>/tasks gives it (with the id)."""
    t = row.task
    return {
        "id": t.pk, "number": t.number, "problem": t.title, "goal": t.goal,
        "implementing_units": [u.name for u in row.units],
        "lead_unit": t.lead_unit.name if t.lead_unit_id and t.lead_unit else "",
        "acceptance_unit": t.acceptance_unit.name if t.acceptance_unit else "",
        "deadline": t.deadline_text or (t.deadline.isoformat() if t.deadline else ""),
        "deadline_date": t.deadline, "due_year": t.due_year, "category": t.get_category_display(),
        "measure_area": t.measure_area.title if t.measure_area else "", "status": t.get_status_display(),
        "schedule": row.judgement_label, "url": absolute_url(request, reverse("portal:task_detail", args=[t.pk])),
    }


def _figures(figures: selectors.Figures) -> dict[str, Any]:
    return {"total": figures.total, "closed": figures.closed, "in_notice": figures.in_notice,
            "percent": figures.percent, "by_year": figures.by_year}


def _plan(pk: int) -> Any:
    plan = selectors.public_plan(pk)
    if plan is None:
        raise NotFound()
    return plan


def _batch(request: HttpRequest, b: Any, count: int) -> dict[str, Any]:
    return {"id": b.pk, "inspection": b.inspection.title,
            "group": b.inspection.group.name if b.inspection.group else "", "number": b.number,
            "handed_over": b.handed_over, "published_date": timezone.localdate(b.published_at), "count": count,
            "url": absolute_url(request, reverse("portal_batch", args=[b.pk]))}


def _batch_counts() -> dict[int, int]:
    from django.db.models import Count

    return dict(publication.published_complaints().order_by().values("batch_id").annotate(n=Count("pk"))
                .values_list("batch_id", "n"))


def _photo(request: HttpRequest, p: Any) -> dict[str, Any]:
    return {"category": p.category, "description": p.description,
            "captured_at": timezone.localdate(p.captured_at) if p.captured_at else None,
            "url": absolute_url(request, reverse("portal:photo", args=[p.pk])),
            "thumbnail_url": absolute_url(request, reverse("portal:photo_thumb", args=[p.pk]))}


def _task_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    task = selectors.public_task(pk)
    if task is None:
        raise NotFound()
    judgement = selectors.task_judgement(task)
    rebound = task.rebound_of if task.rebound_of and task.rebound_of.plan.published_date else None
    return {
        "id": task.pk, "plan_id": task.plan_id, "plan": task.plan.title, "number": task.number, "problem": task.title,
        "goal": task.goal, "implementing_units": [u.name for u in task.implementing_units.all()],
        "lead_unit": task.lead_unit.name if task.lead_unit else "",
        "acceptance_unit": task.acceptance_unit.name if task.acceptance_unit else "",
        "deadline": task.deadline_text or (task.deadline.isoformat() if task.deadline else ""),
        "deadline_date": task.deadline, "due_year": task.due_year, "category": task.get_category_display(),
        "measure_area": task.measure_area.title if task.measure_area else "",
        "region": task.region.name if task.region else "", "status": task.get_status_display(),
        "schedule": str(ScheduleJudgement(judgement).label) if judgement else "",
        "rebound_of": rebound.pk if rebound else None,
        "measures": [{"text": m.text, "units": [u.name for u in m.units.all()], "deadline": m.deadline_text}
                     for m in task.measures.all()],
        "photos": [_photo(request, p) for p in selectors.public_photos(task)],
        "url": absolute_url(request, reverse("portal:task_detail", args=[task.pk])),
    }


def _notice_detail(request: HttpRequest, pk: int) -> dict[str, Any]:
    notice = selectors.public_notices().filter(pk=pk).first()
    if notice is None:
        raise NotFound()
    row = next(r for r in _notice_rows(request) if r["id"] == notice.pk)
    answered = notice.objections.filter(status=Objection.Status.ANSWERED).order_by("submitted_at", "pk")
    return {**row, "is_open": selectors.notice_is_open(notice), "objection_count": notice.objections.count(),
            "answered": [{"content": mask_text(o.content), "answer": mask_text(o.answer)} for o in answered]}


def _figures_out() -> dict[str, Any]:
    sections = []
    inspections: dict[int, Any] = {}
    for batch in publication.published_batches():
        inspections.setdefault(batch.inspection_id, batch.inspection)
    for inspection_id, inspection in sorted(inspections.items(), key=lambda i: i[1].start_date, reverse=True):
        stats = complaint_statistics(publication.published_complaints().filter(inspection_id=inspection_id))
        sections.append({"inspection": inspection.title, "sentence": summary_sentence(stats), "total": stats["total"],
                         "done": stats["done"], "done_rate": stats["done_rate"]})
    on = timezone.localdate()
    open_notices = selectors.public_notices().filter(status="open", end_date__gte=on).count()
    return {"tasks": _figures(selectors.task_figures(selectors.public_tasks())),
            "complaints": selectors.complaint_figures(), "complaint_inspections": sections,
            "open_notices": open_notices}


# ---------------------------------------------------------------- routes


@router.get("/public/plans", response={200: PublicPlanPage, **READ_ERRORS}, summary="公开的整改方案", auth=None)
def plan_list(request: HttpRequest, response: HttpResponse, pages: Query[Pages.Input]) -> Any:
    """已公开的整改方案，最近公开的在前（同门户首页和开放数据 plans.json），分页返回。"""
    return public_answer(request, response, "plans", [pages.page, pages.page_size],
                         lambda: _paged(_plan_rows(request), pages))


@router.get("/public/plans/{plan_id}", response={200: PlanDetail, **READ_ERRORS}, summary="公开的整改方案详情",
            auth=None)
def plan_detail(request: HttpRequest, response: HttpResponse, plan_id: int = id_path("方案编号")) -> Any:
    """方案的总体要求、整改目标、举措领域、保障措施和任务统计（同门户方案页）；未公开与不存在同样 404。"""
    def build() -> dict[str, Any]:
        plan = _plan(plan_id)
        row = next(r for r in _plan_rows(request) if r["id"] == plan.pk)
        return {**row, "summary": plan.summary, "goals": list(plan.goals or []),
                "measure_areas": [{"title": a.title, "subareas": list(a.subareas or [])}
                                  for a in plan.measure_areas.all()],
                "guarantee_measures": list(plan.guarantee_measures or []),
                "figures": _figures(selectors.task_figures(plan.tasks.all()))}

    return public_answer(request, response, "plan", [plan_id], build)


@router.get("/public/plans/{plan_id}/tasks", response={200: TaskPage, **READ_ERRORS},
            summary="公开方案的任务表", auth=None)
def plan_tasks(request: HttpRequest, response: HttpResponse, filters: Query[PublicTaskQuery], pages: Query[Pages.Input],
               plan_id: int = id_path("方案编号")) -> Any:
    """方案的任务表，筛选同门户方案页（状态、完成年度、单位、九治类别、序时进度），字段同开放数据，分页返回。"""
    flt = filters.to_filter()

    def build() -> dict[str, Any]:
        plan = _plan(plan_id)
        return _paged([_task_row(request, r) for r in selectors.task_rows(plan, flt)], pages)

    return public_answer(request, response, "plan_tasks", [plan_id, *flt.key(), pages.page, pages.page_size],
                         build)


@router.get("/public/tasks/{task_id}", response={200: PublicTaskDetail, **READ_ERRORS}, summary="公开的整改任务",
            auth=None)
def task_detail(request: HttpRequest, response: HttpResponse, task_id: int = id_path("任务编号")) -> Any:
    """公开方案中的一项任务：公开字段、整改措施和可公开的整改前后照片（同门户任务页）。"""
    return public_answer(request, response, "task", [task_id], lambda: _task_detail(request, task_id))


@router.get("/public/tasks/{task_id}/timeline", response={200: list[PublicTimelineEntry], **READ_ERRORS},
            summary="任务的公开动态", auth=None)
def task_timeline(request: HttpRequest, response: HttpResponse, task_id: int = id_path("任务编号")) -> Any:
    """已报送的整改进展、验收通过、销号公示和销号，最早的在前（同门户任务页）。"""
    def build() -> list[dict[str, Any]]:
        task = selectors.public_task(task_id)
        if task is None:
            raise NotFound()
        return [{"kind": e.kind, "date": e.date, "title": e.title, "text": e.text, "percent": e.percent,
                 "notice_id": e.notice.pk if e.notice else None} for e in selectors.task_timeline(task)]

    return public_answer(request, response, "timeline", [task_id], build)


@router.get("/public/notices", response={200: NoticePage, **READ_ERRORS}, summary="验收销号公示", auth=None)
def notice_list(request: HttpRequest, response: HttpResponse, pages: Query[Pages.Input]) -> Any:
    """未撤回的验收销号公示，最近的在前（同开放数据 notices.json），分页返回。"""
    return public_answer(request, response, "notices", [pages.page, pages.page_size],
                         lambda: _paged(_notice_rows(request), pages))


@router.get("/public/notices/{notice_id}", response={200: NoticeDetail, **READ_ERRORS}, summary="验收销号公示详情",
            auth=None)
def notice_detail(request: HttpRequest, response: HttpResponse, notice_id: int = id_path("公示编号")) -> Any:
    """公示及已答复的异议（同门户公示页）。提交异议请使用门户公示页。"""
    return public_answer(request, response, "notice", [notice_id], lambda: _notice_detail(request, notice_id))


@router.get("/public/results", response={200: ResultPage, **READ_ERRORS}, summary="成效清单", auth=None)
def result_list(request: HttpRequest, response: HttpResponse, pages: Query[Pages.Input]) -> Any:
    """已销号的公开任务及整改成效，按九治类别排列（同开放数据 results.json），分页返回。"""
    return public_answer(request, response, "results", [pages.page, pages.page_size],
                         lambda: _paged(_result_rows(request), pages))


@router.get("/public/complaint-batches", response={200: BatchPage, **READ_ERRORS},
            summary="公开的信访件交办批次", auth=None)
def batch_list(request: HttpRequest, response: HttpResponse, pages: Query[Pages.Input]) -> Any:
    """已公开办理情况的交办批次（同门户“信访件办理情况”页），分页返回。"""
    def build() -> dict[str, Any]:
        counts = _batch_counts()
        return _paged([_batch(request, b, counts.get(b.pk, 0))
                       for b in publication.published_batches().select_related("inspection__group")], pages)

    return public_answer(request, response, "batches", [pages.page, pages.page_size], build)


@router.get("/public/complaint-batches/{batch_id}", response={200: BatchDetail, **READ_ERRORS},
            summary="公开批次的信访件办理情况", auth=None)
def batch_detail(request: HttpRequest, response: HttpResponse, batch_id: int = id_path("批次编号")) -> Any:
    """一个已公开批次的十列公开表（同门户批次页和开放数据 complaints.json）；未公开与不存在同样 404。"""
    def build() -> dict[str, Any]:
        batch = publication.published_batches().select_related("inspection__group").filter(pk=batch_id).first()
        if batch is None:
            raise NotFound()
        rows = publication.public_rows(batch)
        return {**_batch(request, batch, len(rows)), "columns": list(publication.PUBLISHED_COLUMNS),
                "rows": [{"cells": r["cells"], "priority": r["priority"], "updated": r["updated"]} for r in rows]}

    return public_answer(request, response, "batch", [batch_id], build)


@router.get("/public/figures", response={200: PublicFiguresOut, **READ_ERRORS}, summary="总体数字", auth=None)
def figures(request: HttpRequest, response: HttpResponse) -> Any:
    """门户首页的总体数字：任务销号情况、公开信访件的办结情况、公示中的公示数。"""
    return public_answer(request, response, "figures", [], _figures_out)
