"""Pages of 督办推进: the warning board, supervision notices (list, detail with its actions, drafting by
hand) and the letters as DOCX and PDF. Views parse input, call one service or selector, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.timezone import localdate
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import user_has_role
from zhenggai.core.errors import DomainError, NotFound
from zhenggai.core.models import Event
from zhenggai.core.views_util import form_error, get_scoped_or_404, paginate

from . import letters
from .models import SupervisionNotice, Task
from .supervision import (
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
from .supervision_forms import CancelForm, NoticeCreateForm, NoticeForm, ReplyForm
from .supervision_selectors import (
    LIST_STATUSES,
    BoardFilters,
    notice_counts,
    notice_for_user,
    notice_list_for_user,
    warning_board_for_user,
)
from .warnings import today, warning_reasons
from .workflow import OPEN_STATUSES

Status = SupervisionNotice.Status
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _notice_or_404(user: Any, pk: int) -> SupervisionNotice:
    try:
        return notice_for_user(user, pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def warning_board(request: HttpRequest) -> HttpResponse:
    filters = BoardFilters.from_query(request.GET)
    board = warning_board_for_user(request.user, filters)
    return render(request, "supervision/warning_board.html", {
        "board": board, "filters": filters, "is_office": user_has_role(request.user, Role.OFFICE),
    })


@login_required
def notice_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or ""
    status = status if status in Status.values else ""
    notices = notice_list_for_user(request.user, status=status)
    counts = notice_counts(request.user)
    is_office = user_has_role(request.user, Role.OFFICE)
    always = {Status.ISSUED, Status.REPLIED, Status.ESCALATED} | ({Status.DRAFT} if is_office else set())
    tabs = [(s, Status(s).label, counts[s]) for s in LIST_STATUSES if s in always or counts[s] or s == status]
    return render(request, "supervision/notice_list.html", {
        "page": paginate(request, notices, 25), "status": status, "tabs": tabs, "total": sum(counts.values()),
        "is_office": is_office,
    })


def _edit_initial(notice: SupervisionNotice) -> dict[str, Any]:
    return {"kind": notice.kind, "reply_deadline": notice.reply_deadline, "reason": notice.reason,
            "required_action": notice.required_action}


@login_required
@require_http_methods(["GET", "POST"])
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_or_404(request.user, pk)
    can_manage = may_manage(request.user, notice.task)
    can_edit = can_manage and notice.status == Status.DRAFT
    can_cancel = can_manage and notice.status in (Status.DRAFT, Status.ISSUED)
    can_reply = may_reply(request.user, notice) and notice.status in (Status.ISSUED, Status.ESCALATED)
    edit_form = NoticeForm(initial=_edit_initial(notice)) if can_edit else None
    reply_form = ReplyForm() if can_reply else None
    cancel_form = CancelForm() if can_cancel else None

    if request.method == "POST":
        action = request.POST.get("action", "")
        allowed = {"save": can_edit, "issue": can_edit, "cancel": can_cancel, "reply": can_reply}
        if not allowed.get(action):
            raise DjangoPermissionDenied
        try:
            if action == "save":
                edit_form = NoticeForm(request.POST)
                if edit_form.is_valid():
                    data = edit_form.cleaned_data
                    changed = notice_update(actor=request.user, notice=notice, kind=data["kind"], reason=data["reason"],
                                            required_action=data["required_action"],
                                            reply_deadline=data["reply_deadline"])
                    messages.success(request, _("督办已保存。") if changed else _("没有修改。"))
                    return redirect("notice_detail", pk=notice.pk)
            elif action == "issue":
                notice = notice_issue(actor=request.user, notice=notice)
                messages.success(request, _("已签发，编号 %(number)s。") % {"number": notice.number})
                return redirect("notice_detail", pk=notice.pk)
            elif action == "cancel":
                cancel_form = CancelForm(request.POST)
                if cancel_form.is_valid():
                    notice_cancel(actor=request.user, notice=notice, reason=cancel_form.cleaned_data["reason"])
                    messages.success(request, _("督办已撤销。"))
                    return redirect("notice_detail", pk=notice.pk)
            elif action == "reply":
                reply_form = ReplyForm(request.POST)
                if reply_form.is_valid():
                    notice_reply(actor=request.user, notice=notice, reply=reply_form.cleaned_data["reply"])
                    messages.success(request, _("回复已提交。"))
                    return redirect("notice_detail", pk=notice.pk)
        except DomainError as error:
            form = {"save": edit_form, "cancel": cancel_form, "reply": reply_form}.get(action)
            if form is not None and form.is_bound:
                form_error(form, error)
            else:
                messages.error(request, str(error.message))
                return redirect("notice_detail", pk=notice.pk)

    history = Event.objects.filter(
        chain__key=f"task:{notice.task_id}", object_type="supervisionnotice", object_id=str(notice.pk)
    ).order_by("seq")
    return render(request, "supervision/notice_detail.html", {
        "notice": notice, "task": notice.task, "edit_form": edit_form, "reply_form": reply_form,
        "cancel_form": cancel_form, "can_manage": can_manage, "can_edit": can_edit, "can_reply": can_reply,
        "history": history,
        "overdue": notice.status in (Status.ISSUED, Status.ESCALATED) and today() > notice.reply_deadline,
        "replied_late": bool(notice.replied_at and localdate(notice.replied_at) > notice.reply_deadline),
    })


@login_required
@require_http_methods(["GET", "POST"])
def notice_create(request: HttpRequest, task_pk: int) -> HttpResponse:
    task = get_scoped_or_404(request.user, Task.objects.select_related("plan", "region"), pk=task_pk)
    if not may_manage(request.user, task) or task.status not in OPEN_STATUSES:
        raise DjangoPermissionDenied
    units = task_units(task)
    initial = {
        "unit": task.lead_unit_id or (units.first().pk if units.exists() else None),  # type: ignore[union-attr]
        "kind": SupervisionNotice.Kind.NOTICE,
        "reply_deadline": default_reply_deadline(),
        "reason": "；".join(warning_reasons(task)),
    }
    form = NoticeCreateForm(request.POST or None, initial=initial, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = notice_draft(actor=request.user, task=task, unit=data["unit"], kind=data["kind"],
                                  reason=data["reason"], required_action=data["required_action"],
                                  reply_deadline=data["reply_deadline"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("督办已起草，请核对后签发。"))
            return redirect("notice_detail", pk=notice.pk)
    return render(request, "supervision/notice_form.html", {"form": form, "task": task})


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@login_required
def notice_docx(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_or_404(request.user, pk)
    return _attachment(letters.notice_docx(notice), DOCX_TYPE, letters.letter_filename(notice, "docx"))


@login_required
def notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice_or_404(request.user, pk)
    return _attachment(letters.notice_pdf(notice), "application/pdf", letters.letter_filename(notice, "pdf"))
