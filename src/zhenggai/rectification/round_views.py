"""Pages of 定期调度: the rounds list (office and units), opening a round, the office's board, and the
phone report form. Views parse input, call one service or selector and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import is_region_wide, scope_for, user_has_role, user_region
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied
from zhenggai.core.views_util import form_error
from zhenggai.core.workdays import add_working_days
from zhenggai.inspections.models import Plan

from .models import Task
from .round_forms import ReportForm, ReturnForm, RoundForm
from .round_selectors import (
    CellState,
    adhoc_reports_in_progress,
    report_page,
    reports_awaiting_approval,
    round_board,
    round_for_user,
    round_rows,
    unit_rounds,
)
from .rounds import (
    due_working_days,
    is_office_of,
    report_approve,
    report_return,
    report_save_and_submit,
    report_save_draft,
    round_close,
    round_open,
    round_remind,
)
from .warnings import today
from .workflow import OPEN_STATUSES


def _int(value: Any) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    on = today()
    reader = is_region_wide(user) or user.is_superuser
    return render(request, "rounds/round_list.html", {
        "rows": round_rows(user, on=on) if reader else [],
        "reader": reader,
        "unit_rounds": unit_rounds(user, on=on),
        "pending": reports_awaiting_approval(user),
        "adhoc": adhoc_reports_in_progress(user),
        "can_create": user_has_role(user, Role.OFFICE),
        "today": on,
        "states": CellState,
    })


@login_required
@require_http_methods(["GET", "POST"])
def round_create(request: HttpRequest) -> HttpResponse:
    user = request.user
    region = user_region(user)
    if region is None or not user_has_role(user, Role.OFFICE):
        raise DjangoPermissionDenied
    on = today()
    plans = scope_for(user, Plan.objects.filter(inspection__target_region__path__startswith=region.path))
    tasks = scope_for(user, Task.objects.filter(region__path__startswith=region.path, status__in=OPEN_STATUSES))
    form = RoundForm(
        request.POST or None,
        initial={"period_start": on, "due_date": add_working_days(on, due_working_days())},
        plans=plans.select_related("inspection"), tasks=tasks.order_by("plan_id", "number"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rnd = round_open(
                actor=user, region=region, kind=data["kind"], period_start=data["period_start"],
                due_date=data["due_date"], plan=data["plan"], tasks=data["tasks"], title=data["title"],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已发起调度，%(n)s 项任务待报送。") % {"n": rnd.tasks.count()})
            return redirect("round_detail", pk=rnd.pk)
    return render(request, "rounds/round_form.html", {"form": form, "region": region})


@login_required
@require_http_methods(["GET", "POST"])
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    try:
        rnd = round_for_user(user, pk)
    except NotFound as exc:
        raise Http404 from exc
    can_manage = is_office_of(user, rnd.region) and user_has_role(user, Role.OFFICE)
    if request.method == "POST":
        if not can_manage:
            raise DjangoPermissionDenied
        action = request.POST.get("action")
        try:
            if action == "remind":
                sent = round_remind(actor=user, round=rnd)
                if sent:
                    messages.success(request, _("已向未报送单位发送 %(n)s 条提醒。") % {"n": sent})
                else:
                    messages.info(request, _("没有需要提醒的单位，或今天已经提醒过。"))
            elif action == "close":
                round_close(actor=user, round=rnd)
                messages.success(request, _("调度已结束；之后报送的进展将标记为逾期。"))
        except DomainError as error:
            messages.error(request, str(error.message))
        return redirect("round_detail", pk=rnd.pk)
    board = round_board(user, rnd)
    return render(request, "rounds/round_detail.html", {
        "round": rnd, "board": board, "can_manage": can_manage, "today": today(), "states": CellState,
    })


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, round_pk: int, task_pk: int) -> HttpResponse:
    return _report(request, task_pk=task_pk, round_pk=round_pk)


@login_required
@require_http_methods(["GET", "POST"])
def report_adhoc(request: HttpRequest, task_pk: int) -> HttpResponse:
    return _report(request, task_pk=task_pk, round_pk=None)


def _here(page: Any) -> str:
    if page.round is not None:
        url = reverse("report_edit", kwargs={"round_pk": page.round.pk, "task_pk": page.task.pk})
    else:
        url = reverse("report_adhoc", kwargs={"task_pk": page.task.pk})
    return f"{url}?unit={page.unit.pk}"


def _report(request: HttpRequest, *, task_pk: int, round_pk: int | None) -> HttpResponse:
    user = request.user
    unit_pk = _int(request.POST.get("unit") or request.GET.get("unit"))
    try:
        page = report_page(user, task_pk=task_pk, round_pk=round_pk, unit_pk=unit_pk)
    except NotFound as exc:
        raise Http404 from exc
    evidence = list(page.report.evidence.all()) if page.report is not None else []
    post = request.method == "POST"
    action = request.POST.get("action", "") if post else ""
    writing = post and action in ("save", "submit")
    form = None
    if page.can_write:
        form = ReportForm(request.POST if writing else None, request.FILES if writing else None,
                          initial=page.initial, evidence=evidence)
    return_form = ReturnForm(request.POST if action == "return" else None) if page.can_return else None
    status = 200
    if post:
        if (writing and form is None) or action not in ("save", "submit", "approve", "return"):
            raise DjangoPermissionDenied
        try:
            if writing and form is not None:
                if form.is_valid():
                    service = report_save_and_submit if action == "submit" else report_save_draft
                    service(actor=user, round=page.round, task=page.task, unit=page.unit, data=form.service_data(),
                            files=form.uploads,
                            evidence_category=form.cleaned_data.get("evidence_category") or "other")
                    if action == "submit":
                        messages.success(request, _("已提交本单位负责人审核。"))
                        return redirect("round_list")
                    messages.success(request, _("草稿已保存。"))
                    return redirect(_here(page))
            elif page.report is None:
                raise Http404
            elif action == "approve":
                report_approve(actor=user, report=page.report)
                messages.success(request, _("审核通过，进展已报送。"))
                return redirect("round_list")
            else:
                reason = request.POST.get("reason", "")
                report_return(actor=user, report=page.report, reason=reason)
                messages.success(request, _("已退回经办人修改。"))
                return redirect("round_list")
        except NotFound as exc:
            raise Http404 from exc
        except DomainError as error:
            if isinstance(error, PermissionDenied):
                status = 403
            if form is not None and writing:
                if error.field == "files":
                    error.field = "attachments"
                form_error(form, error)
            elif return_form is not None and action == "return" and error.field == "reason":
                return_form.add_error("reason", str(error.message))
            else:
                messages.error(request, str(error.message))
            page = report_page(user, task_pk=task_pk, round_pk=round_pk, unit_pk=page.unit.pk)
    return render(request, "rounds/report_form.html", {
        "page": page, "form": form, "return_form": return_form, "evidence": evidence, "here": _here(page),
    }, status=status)
