"""API routes of 督办推进: the warning board and supervision notices (list, detail, drafting, editing a draft,
issuing, replying, cancelling) and their letters as DOCX/PDF, through the same selectors and services as
the supervision pages (`supervision_selectors`, `supervision`, `letters`)."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.policies import get_for_user
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, Text, UnitRef, id_path, unit_ref
from zhenggai.core.errors import PermissionDenied, ValidationFailed

from .. import letters
from ..models import SupervisionNotice, Task
from ..supervision import (
    default_reply_deadline,
    may_manage,
    may_reply,
    notice_cancel,
    notice_draft,
    notice_issue,
    notice_reply,
    notice_update,
    task_units,
)
from ..supervision_selectors import (
    BoardFilters,
    notice_for_user,
    notice_list_for_user,
    warning_board_for_user,
)
from ..warnings import today

router = Router(tags=["督办推进"])

Notice = SupervisionNotice
NoticeStatus = Literal["draft", "issued", "replied", "escalated", "cancelled"]
KindValue = Literal["notice", "letter", "talk"]
NoticeAction = Literal["save", "issue", "cancel", "reply"]
assert set(NoticeStatus.__args__) == set(Notice.Status.values)  # type: ignore[attr-defined]
assert set(KindValue.__args__) == set(Notice.Kind.values)  # type: ignore[attr-defined]
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class SupervisionNoticeQuery(Schema):
    """督办清单的筛选，同“督办”页面。"""

    status: NoticeStatus | None = Field(None, description="状态：draft 待签发、issued 已签发、replied 已回复…")
    task: Id | None = Field(None, description="只列该任务的督办")


class NoticeOut(Schema):
    """督办单/督办函/约谈建议。"""

    id: int = Field(..., description="督办编号（系统内）")
    task_id: int = Field(..., description="整改任务编号")
    task_number: int = Field(..., description="任务序号")
    task_title: str = Field(..., description="任务（存在问题）")
    unit: UnitRef = Field(..., description="督办对象")
    kind: str = Field(..., description="类型：notice 督办单、letter 督办函、talk 约谈建议")
    kind_label: str = Field(..., description="类型（用户语言）")
    trigger: str = Field(..., description="起因：manual、yellow_twice、red、repeated_red、unanswered")
    number: str = Field(..., description="文号（签发后才有），如 梁督整办〔2025〕12号")
    status: str = Field(..., description="状态：draft、issued、replied、escalated、cancelled")
    status_label: str = Field(..., description="状态（用户语言）")
    reason: str = Field(..., description="督办事由")
    required_action: str = Field(..., description="督办要求")
    reply_deadline: dt.date = Field(..., description="回复期限")
    drafted_at: dt.datetime = Field(..., description="起草时间")
    issued_at: dt.datetime | None = Field(None, description="签发时间")
    reply: str = Field(..., description="回复内容")
    replied_at: dt.datetime | None = Field(None, description="回复时间")
    escalated_from_id: int | None = Field(None, description="由哪一督办升级而来")
    overdue: bool = Field(..., description="已签发（或已升级）且超过回复期限仍未回复")


class NoticeDetailOut(NoticeOut):
    """督办详情，含当前用户可执行的操作（与页面按钮相同）。"""

    actions: list[NoticeAction] = Field(..., description="可执行的操作：save 修改、issue 签发、cancel 撤销、reply 回复")


class NoticeCreateIn(Schema):
    """起草督办（督察整改办）。"""

    unit: Id | None = Field(None, description="督办对象（任务的实施、牵头或配合单位）；留空取牵头单位")
    kind: KindValue = Field("notice", description="类型")
    reply_deadline: dt.date | None = Field(None, description="回复期限；留空为 5 个工作日后")
    reason: Text = Field(..., max_length=4000, description="督办事由")
    required_action: Text = Field(..., max_length=4000, description="督办要求")


class NoticePatchIn(Schema):
    """修改待签发的督办（督察整改办）：只写需要修改的字段。"""

    kind: KindValue | None = Field(None, description="类型")
    reply_deadline: dt.date | None = Field(None, description="回复期限")
    reason: Text | None = Field(None, max_length=4000, description="督办事由")
    required_action: Text | None = Field(None, max_length=4000, description="督办要求")


class NoticeReplyIn(Schema):
    """回复督办（被督办单位负责人）。"""

    reply: Text = Field(..., max_length=8000, description="回复内容：整改进展、采取的措施和完成时限")


class NoticeCancelIn(Schema):
    """撤销督办（督察整改办）。"""

    reason: Text = Field("", max_length=500, description="撤销理由（可选）")


class WarningBoardQuery(Schema):
    """预警看板的筛选，同页面。"""

    level: Literal["red", "yellow"] | None = Field(None, description="只看红灯或黄牌")
    unit: Id | None = Field(None, description="只看该单位（含下级单位）")


class WarningBoardTask(Schema):
    id: int = Field(..., description="任务编号")
    number: int = Field(..., description="任务序号")
    title: str = Field(..., description="存在问题")
    warning: str = Field(..., description="预警：red 红灯、yellow 黄牌")
    deadline: dt.date | None = Field(None, description="整改时限")
    reasons: list[str] = Field(..., description="预警原因")


class WarningBoardGroup(Schema):
    unit: UnitRef = Field(..., description="实施单位")
    red: int = Field(..., description="红灯任务数")
    yellow: int = Field(..., description="黄牌任务数")
    tasks: list[WarningBoardTask] = Field(..., description="该单位的红灯、黄牌任务")


class WarningBoardOut(Schema):
    """预警看板：当前用户可见的红灯、黄牌任务，按实施单位分组。"""

    on: dt.date = Field(..., description="日期")
    red: int = Field(..., description="红灯任务数")
    yellow: int = Field(..., description="黄牌任务数")
    groups: list[WarningBoardGroup] = Field(..., description="按单位分组")


def _actions(user: Any, notice: SupervisionNotice) -> list[str]:
    """The actions the notice page offers this user (same rules as `supervision_views.notice_detail`)."""
    can_manage = may_manage(user, notice.task)
    actions = []
    if can_manage and notice.status == Notice.Status.DRAFT:
        actions += ["save", "issue"]
    if can_manage and notice.status in (Notice.Status.DRAFT, Notice.Status.ISSUED):
        actions.append("cancel")
    if may_reply(user, notice) and notice.status in (Notice.Status.ISSUED, Notice.Status.ESCALATED):
        actions.append("reply")
    return actions


def _out(notice: SupervisionNotice, user: Any = None, *, detail: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": notice.pk, "task_id": notice.task_id, "task_number": notice.task.number,
        "task_title": notice.task.title, "unit": unit_ref(notice.unit), "kind": notice.kind,
        "kind_label": str(notice.get_kind_display()), "trigger": notice.trigger, "number": notice.number,
        "status": notice.status, "status_label": str(notice.get_status_display()), "reason": notice.reason,
        "required_action": notice.required_action, "reply_deadline": notice.reply_deadline,
        "drafted_at": notice.drafted_at, "issued_at": notice.issued_at, "reply": notice.reply,
        "replied_at": notice.replied_at, "escalated_from_id": notice.escalated_from_id,
        "overdue": notice.status in (Notice.Status.ISSUED, Notice.Status.ESCALATED) and today() > notice.reply_deadline,
    }
    if detail:
        data["actions"] = _actions(user, notice)
    return data


def _detail(request: ApiRequest, notice_id: int) -> dict[str, Any]:
    return _out(notice_for_user(request.auth, notice_id), request.auth, detail=True)


def _require(request: ApiRequest, notice: SupervisionNotice, action: str) -> None:
    """Refuse an action the page would not offer (403), as the page does; the service then checks the
    state (409) under its row lock."""
    manage_actions = {"save", "issue", "cancel"}
    if action in manage_actions and not may_manage(request.auth, notice.task):
        raise PermissionDenied()
    if action == "reply" and not may_reply(request.auth, notice):
        raise PermissionDenied(_("只有被督办单位的负责人可以回复督办。"))


class _Rows:
    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_out(n) for n in self.queryset[item]]


@router.get("/supervision/board", response={200: WarningBoardOut, **READ_ERRORS}, summary="预警看板")
def warning_board(request: ApiRequest, filters: Query[WarningBoardQuery]) -> Any:
    """红灯、黄牌任务按实施单位分组（同“督办推进”页面）：督察整改办、领导、纪检看全区域，责任单位看本单位。"""
    board = warning_board_for_user(request.auth, BoardFilters(level=filters.level or "", unit=filters.unit))
    return {
        "on": board.on, "red": board.red, "yellow": board.yellow,
        "groups": [{"unit": unit_ref(g.unit), "red": g.red, "yellow": g.yellow, "tasks": [
            {"id": t.pk, "number": t.number, "title": t.title, "warning": t.warning, "deadline": t.deadline,
             "reasons": [str(r) for r in getattr(t, "reasons", [])]} for t in g.tasks]} for g in board.groups],
    }


@router.get("/supervision/notices", response={200: list[NoticeOut], **READ_ERRORS}, summary="督办清单")
@paginate(Pages)
def notice_list(request: ApiRequest, filters: Query[SupervisionNoticeQuery]) -> Any:
    """当前用户可见的督办，最新起草的在前：督察整改办看本区域全部（含待签发），领导、纪检看已签发的，
    责任单位看发给本单位（含下级单位）的已签发督办。"""
    return _Rows(notice_list_for_user(request.auth, status=filters.status or "", task=filters.task))


@router.get("/supervision/notices/{notice_id}", response={200: NoticeDetailOut, **READ_ERRORS}, summary="督办详情")
def notice_detail(request: ApiRequest, notice_id: int = id_path("督办编号")) -> Any:
    """不可见与不存在的督办同样答复 404。"""
    return _detail(request, notice_id)


@router.post("/tasks/{task_id}/supervision-notices", response={201: NoticeDetailOut, **ERROR_RESPONSES},
             summary="起草督办")
def notice_create(request: ApiRequest, payload: NoticeCreateIn, task_id: int = id_path("任务编号")) -> Any:
    """督察整改办对本区域未通过验收的任务起草督办（待签发），同任务页“督办”。"""
    user = request.auth
    task = get_for_user(user, Task.objects.select_related("plan", "region", "lead_unit"), pk=task_id)
    if not may_manage(user, task):
        raise PermissionDenied(_("只有本区域的督察整改办可以起草督办。"))
    units = task_units(task)
    unit = units.filter(pk=payload.unit).first() if payload.unit else (task.lead_unit or units.first())
    if unit is None:
        raise ValidationFailed(_("督办对象必须是该任务的整改实施主体、牵头单位或配合单位。"), field="unit")
    notice = notice_draft(actor=user, task=task, unit=unit, kind=payload.kind, reason=payload.reason,
                          required_action=payload.required_action,
                          reply_deadline=payload.reply_deadline or default_reply_deadline())
    return Status(201, _detail(request, notice.pk))


@router.patch("/supervision/notices/{notice_id}", response={200: NoticeDetailOut, **ERROR_RESPONSES},
              summary="修改待签发的督办")
def notice_patch(request: ApiRequest, payload: NoticePatchIn, notice_id: int = id_path("督办编号")) -> Any:
    notice = notice_for_user(request.auth, notice_id)
    _require(request, notice, "save")
    sent = payload.model_fields_set
    values = {name: getattr(payload, name) if name in sent and getattr(payload, name) is not None
              else getattr(notice, name) for name in ("kind", "reason", "required_action", "reply_deadline")}
    notice_update(actor=request.auth, notice=notice, **values)
    return _detail(request, notice_id)


@router.post("/supervision/notices/{notice_id}/issue", response={200: NoticeDetailOut, **ERROR_RESPONSES},
             summary="签发督办")
def notice_issue_api(request: ApiRequest, notice_id: int = id_path("督办编号")) -> Any:
    """待签发 → 已签发（督察整改办）：编号，并通知被督办单位负责人。"""
    notice = notice_for_user(request.auth, notice_id)
    _require(request, notice, "issue")
    notice_issue(actor=request.auth, notice=notice)
    return _detail(request, notice_id)


@router.post("/supervision/notices/{notice_id}/reply", response={200: NoticeDetailOut, **ERROR_RESPONSES},
             summary="回复督办")
def notice_reply_api(request: ApiRequest, payload: NoticeReplyIn, notice_id: int = id_path("督办编号")) -> Any:
    """已签发/已升级 → 已回复：被督办单位（或其上级单位）负责人；逾期回复照收并标记。"""
    notice = notice_for_user(request.auth, notice_id)
    _require(request, notice, "reply")
    notice_reply(actor=request.auth, notice=notice, reply=payload.reply)
    return _detail(request, notice_id)


@router.post("/supervision/notices/{notice_id}/cancel", response={200: NoticeDetailOut, **ERROR_RESPONSES},
             summary="撤销督办")
def notice_cancel_api(request: ApiRequest, payload: NoticeCancelIn, notice_id: int = id_path("督办编号")) -> Any:
    """待签发/已签发 → 已撤销（督察整改办）。"""
    notice = notice_for_user(request.auth, notice_id)
    _require(request, notice, "cancel")
    notice_cancel(actor=request.auth, notice=notice, reason=payload.reason)
    return _detail(request, notice_id)


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _file_doc(content_type: str) -> dict[str, Any]:
    return {"responses": {"200": {"description": "督办文书（附件）",
                                  "content": {content_type: {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/supervision/notices/{notice_id}/letter.docx", response=READ_ERRORS, summary="督办文书（Word）",
            openapi_extra=_file_doc(DOCX_TYPE))
def notice_docx(request: ApiRequest, notice_id: int = id_path("督办编号")) -> HttpResponse:
    """督办文书 DOCX，可编辑（同页面下载）。"""
    notice = notice_for_user(request.auth, notice_id)
    return _attachment(letters.notice_docx(notice), DOCX_TYPE, letters.letter_filename(notice, "docx"))


@router.get("/supervision/notices/{notice_id}/letter.pdf", response=READ_ERRORS, summary="督办文书（PDF）",
            openapi_extra=_file_doc("application/pdf"))
def notice_pdf(request: ApiRequest, notice_id: int = id_path("督办编号")) -> HttpResponse:
    notice = notice_for_user(request.auth, notice_id)
    return _attachment(letters.notice_pdf(notice), "application/pdf", letters.letter_filename(notice, "pdf"))

