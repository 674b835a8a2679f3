"""Pages of 问责: the list of cases with the open proposals of the escalation ladder, recording a case
(pre-filled from a proposal), its detail and editing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhenggai.accounts.policies import scope_for, user_region
from zhenggai.complaints.models import Complaint
from zhenggai.core.errors import DomainError, NotFound
from zhenggai.core.models import Event
from zhenggai.core.views_util import form_error
from zhenggai.rectification.models import Task

from .forms import CaseForm, people_text
from .models import AccountabilityCase, Measure
from .policies import may_read_cases, may_record_case
from .selectors import Proposal, case_for_user, case_list_for_user, open_proposals, proposal_for_user
from .services import CaseData, accountability_case_save


def _choices(user: Any) -> dict[str, Any]:
    return {
        "tasks": scope_for(user, Task.objects.all()).select_related("plan").order_by("plan_id", "number"),
        "complaints": scope_for(user, Complaint.objects.all()).order_by("batch__number", "sequence"),
    }


def _case_or_404(user: Any, pk: int) -> AccountabilityCase:
    try:
        return case_for_user(user, pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def accountability_list(request: HttpRequest) -> HttpResponse:
    if not may_read_cases(request.user):
        raise DjangoPermissionDenied
    can_record = may_record_case(request.user, user_region(request.user))
    return render(request, "assessment/case_list.html", {
        "cases": case_list_for_user(request.user).prefetch_related("tasks"),
        "proposals": open_proposals(request.user), "can_record": can_record,
    })


def _initial_from(proposal: Proposal) -> dict[str, Any]:
    task = proposal.task
    if proposal.kind == "talk":
        title = _("第%(n)s项整改任务逾期未完成，约谈单位主要负责人") % {"n": task.number}
        measures = [Measure.TALK]
    else:
        title = _("第%(n)s项整改任务多次亮红灯，启动问责") % {"n": task.number}
        measures = [Measure.WRITTEN_REVIEW]
    return {"title": title, "measures": measures, "tasks": [task.pk], "description": proposal.text,
            "proposal": proposal.event.pk, "date": timezone.localdate()}


def _data(form: CaseForm, proposal: Event | None) -> CaseData:
    d = form.cleaned_data
    return CaseData(title=d["title"], date=d["date"], description=d["description"], measures=d["measures"],
                    people=d["people"], lead_transferred_to=d["lead_transferred_to"], tasks=list(d["tasks"]),
                    complaints=list(d["complaints"]), proposal_event=proposal)


@login_required
@require_http_methods(["GET", "POST"])
def accountability_create(request: HttpRequest) -> HttpResponse:
    region = user_region(request.user)
    if not may_read_cases(request.user):
        raise DjangoPermissionDenied
    if region is None or not may_record_case(request.user, region):
        raise DjangoPermissionDenied
    proposal = None
    raw = request.POST.get("proposal") or request.GET.get("proposal") or ""
    if raw.isdigit():
        try:
            proposal = proposal_for_user(request.user, int(raw))
        except NotFound as exc:
            raise Http404(str(exc.message)) from exc
    initial = _initial_from(proposal) if proposal else {"date": timezone.localdate()}
    form = CaseForm(request.POST or None, initial=initial, **_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            case = accountability_case_save(actor=request.user, region=region,
                                            data=_data(form, proposal.event if proposal else None))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("问责情况已记录。"))
            return redirect("accountability_detail", pk=case.pk)
    return render(request, "assessment/case_form.html", {"form": form, "proposal": proposal, "case": None})


@login_required
def accountability_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    history = Event.objects.filter(chain__key=f"accountabilitycase:{case.pk}").order_by("seq")
    return render(request, "assessment/case_detail.html", {
        "case": case, "history": history, "can_edit": may_record_case(request.user, case.region),
        "tasks": case.tasks.order_by("plan_id", "number"), "complaints": case.complaints.all(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def accountability_edit(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request.user, pk)
    if not may_record_case(request.user, case.region):
        raise DjangoPermissionDenied
    initial = {"title": case.title, "date": case.date, "measures": case.measures, "description": case.description,
               "people": people_text(case.people.all()), "lead_transferred_to": case.lead_transferred_to,
               "tasks": list(case.tasks.values_list("pk", flat=True)),
               "complaints": list(case.complaints.values_list("pk", flat=True))}
    form = CaseForm(request.POST or None, initial=initial, **_choices(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            accountability_case_save(actor=request.user, case=case, data=_data(form, None))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("问责情况已保存。"))
            return redirect("accountability_detail", pk=case.pk)
    return render(request, "assessment/case_form.html", {"form": form, "proposal": None, "case": case})
