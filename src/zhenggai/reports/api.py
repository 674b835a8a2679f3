"""API routes of exports, generated documents, bulletins and dashboards (/api/v1/tasks/export.xlsx,
/api/v1/tasks/ledger.xlsx, /api/v1/plans/{id}/ledger.xlsx, /api/v1/plans/{id}/closure-notices.pdf,
/api/v1/complaints/export.xlsx, /api/v1/tasks/{id}/dossier.pdf, /api/v1/bulletins…, /api/v1/dashboards…),
and the task import (`api_import`). They call the same selectors and builders as the pages, so a file
holds exactly what the page shows its reader."""

import datetime as dt
import io
from typing import Any, Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.models import Region
from zhenggai.accounts.policies import get_for_user, scope_for, user_region
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, RegionRef, id_path
from zhenggai.complaints.api.cases import ComplaintQuery
from zhenggai.complaints.selectors import complaint_list_for_user
from zhenggai.core.errors import NotFound, PermissionDenied
from zhenggai.inspections.models import Plan
from zhenggai.rectification.api.tasks import TaskQuery
from zhenggai.rectification.models import Task
from zhenggai.rectification.selectors import task_detail_for_user, task_list_for_user
from zhenggai.rectification.warnings import today

from .closure_table import closure_notice_table_pdf_bytes
from .dashboards import Chart, DashboardFilters
from .dashboards_lists import CHARTS, DASHBOARDS, charts_for, dashboard_build, dashboards_for, may_open
from .dossier import dossier_filename, task_dossier_pdf_bytes
from .ledger_filtered import filtered_ledger_filename, filtered_ledger_workbook
from .models import Bulletin
from .selectors_documents import (
    bulletins_for_user,
    closure_notices_for_plan,
    ledger_tasks_for_user,
    may_request_bulletin,
)
from .task_export import ledger_filename, ledger_write
from .tasks import bulletin_request
from .xlsx import XLSX_TYPE, attachment_disposition, task_list_workbook

router = Router(tags=["报表与文书"])

PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def file_doc(content_type: str, description: str) -> dict[str, Any]:
    """OpenAPI of a binary answer: its content type and the attachment header."""
    return {"responses": {"200": {
        "description": description,
        "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
        "headers": {"Content-Disposition": {
            "description": "attachment; filename=…（附件，文件名以 UTF-8 编码）", "schema": {"type": "string"}}},
    }}}


def attachment(content: bytes, content_type: str, filename: str, fallback: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = attachment_disposition(filename, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _xlsx(workbook: Any, filename: str, fallback: str) -> HttpResponse:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return attachment(buffer.getvalue(), XLSX_TYPE, filename, fallback)


def _params(query: Schema) -> dict[str, str]:
    return {k: ("" if v is None else str(v)) for k, v in query.dict().items()}


# --- exports -----------------------------------------------------------------------------------------


@router.get("/tasks/export.xlsx", response=READ_ERRORS, summary="整改任务清单（Excel）",
            openapi_extra=file_doc(XLSX_TYPE, "整改任务清单 .xlsx（附件）"))
def task_list_export(request: ApiRequest, filters: Query[TaskQuery]) -> HttpResponse:
    """当前用户可见、按同样条件筛选排序的整改任务清单（同“整改任务”页面的导出）。"""
    tasks = task_list_for_user(request.auth, filters.to_filters())
    on = today()
    return _xlsx(task_list_workbook(tasks), _("整改任务清单") + f"-{on:%Y%m%d}.xlsx", f"tasks-{on:%Y%m%d}.xlsx")


@router.get("/tasks/ledger.xlsx", response=READ_ERRORS, summary="整改任务调度台账（Excel，按筛选）",
            openapi_extra=file_doc(XLSX_TYPE, "调度台账 .xlsx（附件）"))
def task_ledger_export(request: ApiRequest, filters: Query[TaskQuery]) -> HttpResponse:
    """任务清单同样条件下的任务，按调度台账格式（同页面的“导出台账”）。"""
    tasks = ledger_tasks_for_user(request.auth, _params(filters))
    on = today()
    return _xlsx(filtered_ledger_workbook(tasks), filtered_ledger_filename(on), f"ledger-{on:%Y%m%d}.xlsx")


@router.get("/plans/{plan_id}/ledger.xlsx", response=READ_ERRORS, summary="整改方案调度台账（Excel）",
            openapi_extra=file_doc(XLSX_TYPE, "方案调度台账 .xlsx（附件）"))
def plan_ledger_export(request: ApiRequest, plan_id: int = id_path("方案编号")) -> HttpResponse:
    """方案的调度台账，只含当前用户可见的任务；不可见与不存在的方案同样答复 404。"""
    plan = get_for_user(request.auth, Plan.objects.all(), pk=plan_id)
    tasks = scope_for(request.auth, Task.objects.filter(plan=plan))
    buffer = io.BytesIO()  # the compressed file only: rows are streamed into it
    ledger_write(plan=plan, tasks=tasks, target=buffer)
    return attachment(buffer.getvalue(), XLSX_TYPE, ledger_filename(plan), f"ledger-{plan.pk}.xlsx")


@router.get("/complaints/export.xlsx", response=READ_ERRORS, summary="信访件清单（Excel）",
            openapi_extra=file_doc(XLSX_TYPE, "信访件清单 .xlsx（附件）"))
def complaint_list_export(request: ApiRequest, filters: Query[ComplaintQuery]) -> HttpResponse:
    """当前用户可见、按同样条件筛选的信访件（同“信访件”页面的导出）：从不含信访人，自由文本已遮蔽。"""
    from zhenggai.complaints.views import complaint_workbook

    complaints = complaint_list_for_user(request.auth, filters.to_filters())
    on = today()
    return _xlsx(complaint_workbook(complaints, on=on), _("信访件清单") + f"-{on:%Y%m%d}.xlsx",
                 f"complaints-{on:%Y%m%d}.xlsx")


# --- documents ---------------------------------------------------------------------------------------


class ClosureTableQuery(Schema):
    date_from: dt.date | None = Field(None, alias="from", description="只含此日期及以后开始的公示")
    date_to: dt.date | None = Field(None, alias="to", description="只含此日期及以前开始的公示")


@router.get("/tasks/{task_id}/dossier.pdf", response=READ_ERRORS, summary="一案一档（PDF）",
            openapi_extra=file_doc(PDF_TYPE, "一案一档 PDF（附件）"))
def task_dossier(request: ApiRequest, task_id: int = id_path("任务编号")) -> HttpResponse:
    """任务的一案一档，内容按当前用户可见的范围；不可见与不存在的任务同样答复 404。"""
    task = task_detail_for_user(request.auth, task_id)
    return attachment(task_dossier_pdf_bytes(user=request.auth, task=task), PDF_TYPE, dossier_filename(task),
                      f"dossier-{task.pk}.pdf")


@router.get("/plans/{plan_id}/closure-notices.pdf", response=READ_ERRORS, summary="验收销号公示表（PDF）",
            openapi_extra=file_doc(PDF_TYPE, "验收销号公示表 PDF（附件）"))
def closure_notice_table(request: ApiRequest, filters: Query[ClosureTableQuery],
                         plan_id: int = id_path("方案编号")) -> HttpResponse:
    """方案中当前用户可见的公示（撤回的除外），可按公示开始日期筛选。"""
    plan = get_for_user(request.auth, Plan.objects.all(), pk=plan_id)
    notices = closure_notices_for_plan(request.auth, plan, date_from=filters.date_from, date_to=filters.date_to)
    return attachment(closure_notice_table_pdf_bytes(plan=plan, notices=notices), PDF_TYPE,
                      f"{plan.title}-验收销号公示表.pdf", f"closure-notices-{plan.pk}.pdf")


# --- bulletins ---------------------------------------------------------------------------------------


class ReportBulletinOut(Schema):
    """调度通报（每月一期）。"""

    id: int = Field(..., description="通报编号")
    region: RegionRef = Field(..., description="行政区域")
    month: dt.date = Field(..., description="通报月份（该月第一天）")
    number: int = Field(..., description="期数（当年第几期）")
    title: str = Field(..., description="标题")
    status: str = Field(..., description="状态：queued 排队中、running 生成中、done 已生成、failed 失败")
    requested_at: dt.datetime = Field(..., description="发起时间")
    generated_at: dt.datetime | None = Field(None, description="生成时间")
    has_pdf: bool = Field(..., description="可下载 PDF")
    has_docx: bool = Field(..., description="可下载 Word")
    error: str = Field(..., description="失败原因")


class ReportBulletinRequestIn(Schema):
    """生成某月的调度通报（督察整改办）：已有的月份会重新生成并保留期数。"""

    month: str = Field(..., pattern=r"^\d{4}-\d{2}$", description="月份，YYYY-MM")


def _bulletin_out(b: Bulletin) -> dict[str, Any]:
    return {"id": b.pk, "region": {"id": b.region_id, "name": b.region.name}, "month": b.month, "number": b.number,
            "title": b.title, "status": b.status, "requested_at": b.requested_at, "generated_at": b.generated_at,
            "has_pdf": bool(b.pdf) and b.status == Bulletin.Status.DONE,
            "has_docx": bool(b.docx) and b.status == Bulletin.Status.DONE, "error": b.error}


@router.get("/bulletins", response={200: list[ReportBulletinOut], **READ_ERRORS}, summary="调度通报清单")
@paginate(Pages)
def bulletin_list(request: ApiRequest) -> Any:
    """本行政区域（含下级）的调度通报，从新到旧。督察整改办、领导、纪检监察可看；其他角色 403。"""
    return _BulletinRows(bulletins_for_user(request.auth).order_by("-month", "-id"))


@router.post("/bulletins", response={201: ReportBulletinOut, **ERROR_RESPONSES}, summary="生成调度通报")
def bulletin_create(request: ApiRequest, payload: ReportBulletinRequestIn) -> Any:
    """督察整改办为本行政区域生成某月的通报：排队后台生成，完成后可下载（status 为 done）。"""
    region: Region | None = user_region(request.auth)
    if region is None or not may_request_bulletin(request.auth, region):
        raise PermissionDenied(_("只有督察整改办可以生成调度通报。"))
    bulletin = bulletin_request(actor=request.auth, region=region, month=payload.month)
    return Status(201, _bulletin_out(Bulletin.objects.select_related("region").get(pk=bulletin.pk)))


def _bulletin_file(request: ApiRequest, bulletin_id: int, kind: Literal["pdf", "docx"]) -> HttpResponse:
    bulletin = bulletins_for_user(request.auth).filter(pk=bulletin_id, status=Bulletin.Status.DONE).first()
    field = getattr(bulletin, kind, None) if bulletin is not None else None
    if bulletin is None or not field:
        raise NotFound()
    with field.open("rb") as handle:
        content = handle.read()
    return attachment(content, PDF_TYPE if kind == "pdf" else DOCX_TYPE, f"{bulletin.title}.{kind}",
                      f"bulletin-{bulletin.month:%Y-%m}.{kind}")


@router.get("/bulletins/{bulletin_id}/pdf", response=READ_ERRORS, summary="下载调度通报（PDF）",
            openapi_extra=file_doc(PDF_TYPE, "调度通报 PDF（附件）"))
def bulletin_pdf(request: ApiRequest, bulletin_id: int = id_path("通报编号")) -> HttpResponse:
    """已生成的通报；未生成、不可见与不存在的同样答复 404。"""
    return _bulletin_file(request, bulletin_id, "pdf")


@router.get("/bulletins/{bulletin_id}/docx", response=READ_ERRORS, summary="下载调度通报（Word）",
            openapi_extra=file_doc(DOCX_TYPE, "调度通报 Word（附件）"))
def bulletin_docx(request: ApiRequest, bulletin_id: int = id_path("通报编号")) -> HttpResponse:
    return _bulletin_file(request, bulletin_id, "docx")


class _BulletinRows:
    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_bulletin_out(b) for b in self.queryset[item]]


# --- dashboards --------------------------------------------------------------------------------------

DashboardKey = Literal["office", "leader", "discipline", "unit"]
ChartKey = Literal[
    "status", "units", "units_warning", "warnings", "schedule", "overdue", "red", "repeated_red", "punctuality",
    "acceptance", "complaint_status", "complaint_types", "complaint_regions", "complaints_overdue", "returns",
    "unanswered", "accountability",
]
assert set(DashboardKey.__args__) == set(DASHBOARDS)  # type: ignore[attr-defined]
assert set(ChartKey.__args__) == set(CHARTS)  # type: ignore[attr-defined]
CellValue = int | float | str | None


class DashboardQuery(Schema):
    inspection: Id | None = Field(None, description="督察编号")
    plan: Id | None = Field(None, description="整改方案编号")
    year: int | None = Field(None, ge=1900, le=2200, description="完成年度")
    stack: Literal["status", "warning"] = Field("status", description="按实施主体图的分组：status 状态、warning 预警")

    def to_filters(self) -> DashboardFilters:
        return DashboardFilters(inspection=self.inspection, plan=self.plan, year=self.year)


class DashboardPointOut(Schema):
    value: int | float = Field(..., description="数值")
    url: str = Field(..., description="点击后打开的任务清单（站内路径，带筛选条件）")


class DashboardSeriesOut(Schema):
    name: str = Field(..., description="系列名称")
    key: str = Field(..., description="系列代码")
    type: str = Field(..., description="bar 柱、line 线")
    stack: str = Field(..., description="堆叠组；空表示不堆叠")
    color: str = Field(..., description="颜色")
    data: list[DashboardPointOut] = Field(..., description="与 categories 一一对应的数值")


class DashboardCellOut(Schema):
    value: CellValue = Field(None, description="单元格的值（日期为 YYYY-MM-DD）")
    url: str = Field(..., description="链接（站内路径），可能为空")


class DashboardChartOut(Schema):
    """统计图（或清单）：图上的数与表格（headers/rows）相同。"""

    key: str = Field(..., description="图表代码")
    title: str = Field(..., description="标题")
    kind: str = Field(..., description="bar 柱状、hbar 横向柱状、line 折线、pie 饼图、table 清单")
    unit: str = Field(..., description="数值单位")
    categories: list[str] = Field(..., description="分类（横轴）")
    series: list[DashboardSeriesOut] = Field(..., description="数据系列")
    headers: list[str] = Field(..., description="表头")
    rows: list[list[DashboardCellOut]] = Field(..., description="表格各行")
    note: str = Field(..., description="说明")
    total: int | None = Field(None, description="清单：符合条件的总条数（rows 可能只列前若干条）")


class DashboardOut(Schema):
    """一个统计分析页面的全部图表。"""

    key: str = Field(..., description="页面代码：office 督察整改办、leader 领导驾驶舱、discipline 纪检监察、unit 本单位")
    title: str = Field(..., description="标题")
    charts: list[DashboardChartOut] = Field(..., description="图表，按页面上的顺序")
    headline: dict[str, Any] | None = Field(None, description="领导驾驶舱的总体数字（其他页面为 null）")


class DashboardRefOut(Schema):
    key: str = Field(..., description="页面代码")
    title: str = Field(..., description="标题")
    charts: list[str] = Field(..., description="图表代码")


def _value(value: Any) -> CellValue:
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, int | float | str):
        return value
    return str(value)


def chart_out(chart: Chart) -> dict[str, Any]:
    return {
        "key": chart.key, "title": str(chart.title), "kind": chart.kind, "unit": str(chart.unit),
        "categories": [str(c) for c in chart.categories],
        "series": [{"name": str(s.name), "key": s.key, "type": s.type, "stack": s.stack, "color": s.color,
                    "data": [{"value": p.value, "url": p.url} for p in s.data]} for s in chart.series],
        "headers": [str(h) for h in chart.headers],
        "rows": [[{"value": _value(c.value), "url": c.url} for c in row] for row in chart.rows],
        "note": str(chart.note), "total": chart.total,
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date) or hasattr(value, "as_tuple"):  # dates and Decimals
        return str(value) if not isinstance(value, dt.date) else value.isoformat()
    return value


@router.get("/dashboards", response={200: list[DashboardRefOut], **READ_ERRORS}, summary="我的统计分析页面")
@paginate(Pages)
def dashboard_list(request: ApiRequest) -> Any:
    """当前用户能打开的统计分析页面（按角色；没有角色页面的得到本单位页面）。"""
    return [{"key": b.key, "title": str(b.title), "charts": list(b.charts)} for b in dashboards_for(request.auth)]


@router.get("/dashboards/{dashboard}", response={200: DashboardOut, **READ_ERRORS}, summary="统计分析页面的图表")
def dashboard_detail(request: ApiRequest, dashboard: DashboardKey, filters: Query[DashboardQuery]) -> Any:
    """页面上的全部图表的数据，范围与筛选同页面；没有该角色的用户答复 403（同页面）。"""
    board = DASHBOARDS[dashboard]
    if not may_open(request.auth, board):
        raise PermissionDenied()
    built = dashboard_build(request.auth, board, filters.to_filters(), unit_stack=filters.stack)
    headline = built["headline"]
    return {"key": board.key, "title": str(board.title), "charts": [chart_out(c) for c in built["charts"]],
            "headline": _plain(vars(headline)) if headline is not None else None}


@router.get("/dashboards/charts/{chart}", response={200: DashboardChartOut, **READ_ERRORS}, summary="一张统计图的数据")
def dashboard_chart(request: ApiRequest, chart: ChartKey, filters: Query[DashboardQuery]) -> Any:
    """一张图的数据（同页面的“下载数据”）；不属于用户可打开页面的图与不存在的同样答复 404。"""
    if chart not in charts_for(request.auth):
        raise NotFound()
    return chart_out(CHARTS[chart](request.auth, filters.to_filters()))


from .api_import import router as import_router  # noqa: E402 - the task import, in its own module

router.add_router("", import_router)
