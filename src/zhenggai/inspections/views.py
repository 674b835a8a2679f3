from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Region
from zhenggai.accounts.policies import CHANGE, CREATE, scope_for, user_can, user_region
from zhenggai.core.errors import DomainError
from zhenggai.core.views_util import form_error, get_scoped_or_404, paginate
from zhenggai.rectification.models import Task
from zhenggai.rectification.selectors import TaskFilters, task_list_for_user

from .forms import InspectionForm, MeetingForm, PlanForm
from .models import Inspection, Meeting, Plan
from .selectors import inspection_list_for_user, plan_figures
from .services import inspection_save, meeting_save, plan_save


@login_required
def inspection_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "inspections/inspection_list.html",
        {"inspections": inspection_list_for_user(request.user), "can_create": user_can(request.user, CREATE, Inspection)},
    )


@login_required
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_scoped_or_404(request.user, Inspection.objects.select_related("group", "target_region", "follows"), pk=pk)
    plans = scope_for(request.user, inspection.plans.all())
    return render(
        request,
        "inspections/inspection_detail.html",
        {
            "inspection": inspection,
            "plans": [(p, plan_figures(request.user, p)) for p in plans],
            "findings": inspection.findings.all(),
            "meetings": scope_for(request.user, inspection.meetings.all()),
            "can_edit": user_can(request.user, CHANGE, inspection),
        },
    )


def _regions_for(user) -> object:  # type: ignore[no-untyped-def]
    region = user_region(user)
    if user.is_superuser or region is None:
        return Region.objects.all()
    return Region.objects.filter(path__startswith=region.path)


@login_required
def inspection_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    inspection = get_scoped_or_404(request.user, Inspection.objects.all(), pk=pk) if pk else Inspection()
    if not user_can(request.user, CHANGE if pk else CREATE, inspection if pk else Inspection):
        raise DjangoPermissionDenied
    form = InspectionForm(
        request.POST or None, instance=inspection, regions=_regions_for(request.user),
        inspections=scope_for(request.user, Inspection.objects.exclude(pk=inspection.pk or 0)),
    )
    if request.method == "POST" and form.is_valid():
        try:
            inspection = inspection_save(actor=request.user, inspection=form.save(commit=False))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("督察已保存。"))
            return redirect("inspection_detail", pk=inspection.pk)
    return render(request, "inspections/inspection_form.html", {"form": form, "inspection": inspection})


@login_required
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_scoped_or_404(request.user, Plan.objects.select_related("inspection"), pk=pk)
    tasks = task_list_for_user(request.user, TaskFilters(plan=plan.pk))
    return render(
        request,
        "inspections/plan_detail.html",
        {
            "plan": plan,
            "figures": plan_figures(request.user, plan),
            "measure_areas": plan.measure_areas.all(),
            "page": paginate(request, tasks, 50),
            "filters": TaskFilters(plan=plan.pk),
            "can_edit": user_can(request.user, CHANGE, plan),
            "can_add_task": user_can(request.user, CREATE, Task) and user_can(request.user, CHANGE, plan),
        },
    )


@login_required
def plan_edit(request: HttpRequest, pk: int | None = None, inspection_pk: int | None = None) -> HttpResponse:
    if pk:
        plan = get_scoped_or_404(request.user, Plan.objects.select_related("inspection"), pk=pk)
        inspection = plan.inspection
    else:
        inspection = get_scoped_or_404(request.user, Inspection.objects.all(), pk=inspection_pk)
        plan = Plan(inspection=inspection)
    if not user_can(request.user, CHANGE, inspection):
        raise DjangoPermissionDenied
    form = PlanForm(request.POST or None, instance=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plan = plan_save(actor=request.user, plan=form.save(), measure_areas=form.measure_area_titles)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("整改方案已保存。"))
            return redirect("plan_detail", pk=plan.pk)
    return render(request, "inspections/plan_form.html", {"form": form, "plan": plan, "inspection": inspection})


@login_required
def meeting_edit(request: HttpRequest, inspection_pk: int) -> HttpResponse:
    inspection = get_scoped_or_404(request.user, Inspection.objects.all(), pk=inspection_pk)
    if not user_can(request.user, CHANGE, inspection):
        raise DjangoPermissionDenied
    tasks = scope_for(request.user, Task.objects.filter(plan__inspection=inspection)).order_by("plan_id", "number")
    form = MeetingForm(request.POST or None, instance=Meeting(inspection=inspection), tasks=tasks)
    if request.method == "POST" and form.is_valid():
        try:
            meeting_save(actor=request.user, meeting=form.save(commit=False), tasks=list(form.cleaned_data["tasks"]))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("研究部署记录已保存。"))
            return redirect("inspection_detail", pk=inspection.pk)
    return render(request, "inspections/meeting_form.html", {"form": form, "inspection": inspection})
