"""Pages of 验收销号: apply, review, public notice and objections, closure and its certificate, look-backs.
Each view parses input, calls one service and renders; the rules live in `transitions` and `lookbacks`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhenggai.accounts.policies import scope_for
from zhenggai.core.errors import DomainError
from zhenggai.core.views_util import form_error, get_scoped_or_404
from zhenggai.evidence.models import Evidence

from . import lookbacks, transitions
from .acceptance_forms import ApplyForm, LookBackForm, LookBackResultForm, ObjectionAnswerForm, ReviewForm
from .models import AcceptanceApplication, LookBack, Objection, PublicNotice, Task
from .warnings import today


def _task(request: HttpRequest, pk: int) -> Task:
    return get_scoped_or_404(request.user, Task.objects.select_related("plan", "acceptance_unit"), pk=pk)


def _store_files(actor: Any, task: Task, files: list[Any], category: str) -> list[Evidence]:
    from zhenggai.evidence import services

    if not files:
        return []
    many = getattr(services, "evidence_create_many", None)
    if many is not None:
        return list(many(actor=actor, task=task, files=files, category=category))
    return [services.evidence_create(actor=actor, task=task, file=f, category=category) for f in files]


@login_required
def task_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if request.method == "POST":
        try:
            transitions.task_start(actor=request.user, task=task)
            messages.success(request, _("任务已启动整改。"))
        except DomainError as error:
            messages.error(request, str(error.message))
    return redirect("task_detail", pk=task.pk)


@login_required
def task_apply(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    if "apply" not in transitions.available_transitions(task, request.user):
        raise DjangoPermissionDenied
    evidence = scope_for(request.user, Evidence.objects.filter(task=task)).order_by("-uploaded_at")
    form = ApplyForm(request.POST or None, request.FILES or None, evidence=evidence)
    if request.method == "POST" and form.is_valid():
        try:
            new = _store_files(request.user, task, form.cleaned_data["new_files"], form.cleaned_data["category"])
            transitions.task_apply_for_acceptance(
                actor=request.user, task=task, statement=form.cleaned_data["statement"],
                self_check=form.self_check, evidence=[*form.cleaned_data["evidence"], *new],
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已申请验收销号，等待验收单位验收。"))
            return redirect("task_detail", pk=task.pk)
    return render(request, "acceptance/apply.html", {"task": task, "form": form})


@login_required
def task_review(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    allowed = set(transitions.available_transitions(task, request.user))
    if not allowed & {"pass", "return"}:
        raise DjangoPermissionDenied
    application = (AcceptanceApplication.objects.filter(task=task, status=AcceptanceApplication.Status.PENDING)
                   .prefetch_related("evidence").select_related("applied_by", "unit").first())
    form = ReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "pass":
                photos = _store_files(request.user, task, data["photos"], "acceptance")
                transitions.task_pass_acceptance(
                    actor=request.user, task=task, reasons=data["reasons"], check_date=data["check_date"],
                    check_people=data["check_people"], check_findings=data["check_findings"],
                    criteria=form.criteria, photos=photos, contact_phone=data["contact_phone"],
                    contact_email=data["contact_email"],
                )
                messages.success(request, _("验收通过，已进入销号公示。"))
            else:
                transitions.task_return_acceptance(
                    actor=request.user, task=task, reasons=data["reasons"], check_date=data["check_date"],
                    check_people=data["check_people"], check_findings=data["check_findings"],
                )
                messages.success(request, _("已退回整改。"))
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect("task_detail", pk=task.pk)
    return render(request, "acceptance/review.html", {"task": task, "form": form, "application": application})


@login_required
@require_POST
def task_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    try:
        transitions.task_close(actor=request.user, task=task, long_term=bool(request.POST.get("long_term")))
        messages.success(request, _("任务已销号。"))
    except DomainError as error:
        messages.error(request, str(error.message))
    return redirect("task_detail", pk=task.pk)


@login_required
def objection_answer_view(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_scoped_or_404(request.user, Objection.objects.select_related("notice", "notice__task"), pk=pk)
    form = ObjectionAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transitions.objection_answer(actor=request.user, objection=objection, answer=form.cleaned_data["answer"],
                                         upheld=form.cleaned_data["upheld"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("异议已答复。"))
            return redirect("task_detail", pk=objection.notice.task_id)
    return render(request, "acceptance/objection_answer.html", {"objection": objection, "form": form})


@login_required
def lookback_create(request: HttpRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    form = LookBackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lookbacks.lookback_schedule(actor=request.user, task=task, scheduled_date=form.cleaned_data["scheduled_date"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已安排回头看。"))
            return redirect("task_detail", pk=task.pk)
    return render(request, "acceptance/lookback_form.html", {"task": task, "form": form})


@login_required
def lookback_record_view(request: HttpRequest, pk: int) -> HttpResponse:
    look_back = get_scoped_or_404(request.user, LookBack.objects.select_related("task"), pk=pk)
    form = LookBackResultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            done = lookbacks.lookback_record(actor=request.user, look_back=look_back, result=form.cleaned_data["result"],
                                             notes=form.cleaned_data["notes"],
                                             rebound_deadline=form.cleaned_data["rebound_deadline"])
        except DomainError as error:
            form_error(form, error)
        else:
            if done.rebound_task_id:
                messages.warning(request, _("问题反弹，已新建关联整改任务。"))
                return redirect("task_detail", pk=done.rebound_task_id)
            messages.success(request, _("回头看结果已记录。"))
            return redirect("task_detail", pk=look_back.task_id)
    return render(request, "acceptance/lookback_form.html", {"task": look_back.task, "form": form, "look_back": look_back})


@login_required
def acceptance_list(request: HttpRequest) -> HttpResponse:
    """验收销号 overview: applications awaiting this user's review, notices running, tasks ready to close,
    look-backs scheduled."""
    tasks = scope_for(request.user, Task.objects.all())
    applications = (AcceptanceApplication.objects.filter(task__in=tasks, status=AcceptanceApplication.Status.PENDING)
                    .select_related("task", "unit").order_by("applied_at"))
    pending = [a for a in applications if {"pass", "return"} & set(transitions.available_transitions(a.task, request.user))]
    notices = (PublicNotice.objects.filter(task__in=tasks, status=PublicNotice.Status.OPEN)
               .select_related("task").annotate(pending_objections=Count("objections", filter=Q(
                   objections__status=Objection.Status.PENDING))).order_by("end_date"))
    look_backs = LookBack.objects.filter(task__in=tasks, status=LookBack.Status.SCHEDULED).select_related("task")
    return render(request, "acceptance/list.html", {
        "pending": pending, "notices": notices, "look_backs": look_backs, "today": today(),
    })


@login_required
def closure_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    """销号确认单 (PDF) of a closed task."""
    from .documents import closure_certificate_pdf

    task = _task(request, pk)
    if task.status != "closed":
        raise DjangoPermissionDenied
    from zhenggai.reports.xlsx import attachment_disposition

    response = HttpResponse(closure_certificate_pdf(task), content_type="application/pdf")
    response["Content-Disposition"] = attachment_disposition(
        _("销号确认单-任务%(n)s.pdf") % {"n": task.number}, f"closure-{task.pk}.pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
