from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization
from zhenggai.accounts.policies import CHANGE, CREATE, scope_for, user_can
from zhenggai.core.errors import DomainError, NotFound
from zhenggai.core.events import chain_key_for
from zhenggai.core.models import Event
from zhenggai.core.views_util import form_error, get_scoped_or_404, paginate
from zhenggai.inspections.models import Inspection, Plan

from .forms import MeasureFormSet, TaskForm, task_data_from_forms
from .models import Task
from .selectors import (
    TaskFilters,
    task_counts,
    task_detail_for_user,
    task_list_for_user,
    task_table_rows,
    task_years_for_user,
    unit_filter_choices,
    workbench_tasks,
)
from .services import task_create, task_update
from .warnings import today
from .workflow import Category, DeadlineKind, TaskStatus


@login_required
def workbench(request: HttpRequest) -> HttpResponse:
    tasks = workbench_tasks(request.user)
    counts = task_counts(tasks)
    return render(
        request,
        "rectification/workbench.html",
        {"tasks": tasks[:50], "counts": counts, "total": sum(counts.values()), "today": today()},
    )


def _list_context(request: HttpRequest) -> dict:
    filters = TaskFilters.from_query(request.GET)
    tasks = task_list_for_user(request.user, filters)
    inspections = scope_for(request.user, Inspection.objects.all())
    plans = scope_for(request.user, Plan.objects.select_related("inspection"))
    years = task_years_for_user(request.user)
    return {
        "filters": filters,
        "tasks": tasks,
        "inspections": inspections,
        "plans": plans,
        "units": unit_filter_choices(request.user),
        "categories": Category.choices,
        "statuses": TaskStatus.choices,
        "deadline_kinds": DeadlineKind.choices,
        "years": years,
    }


@login_required
def task_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    context["page"] = paginate(request, task_table_rows(context["tasks"]), 25)
    template = "rectification/_task_table.html" if request.headers.get("HX-Request") else "rectification/task_list.html"
    return render(request, template, context)


@login_required
def task_list_export(request: HttpRequest) -> HttpResponse:
    from zhenggai.reports.xlsx import task_list_workbook, xlsx_response

    tasks = _list_context(request)["tasks"]
    return xlsx_response(task_list_workbook(tasks), _("整改任务清单") + f"-{dt.date.today():%Y%m%d}.xlsx")


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        task = task_detail_for_user(request.user, pk)
    except NotFound as exc:
        from django.http import Http404

        raise Http404 from exc
    events = Event.objects.filter(chain__key=chain_key_for(task)).order_by("-seq")
    return render(
        request,
        "rectification/task_detail.html",
        {"task": task, "events": events, "can_edit": user_can(request.user, CHANGE, task)},
    )


@login_required
def task_edit(request: HttpRequest, pk: int | None = None, plan_pk: int | None = None) -> HttpResponse:
    if pk:
        task = get_scoped_or_404(request.user, Task.objects.select_related("plan"), pk=pk)
        plan = task.plan
        if not user_can(request.user, CHANGE, task):
            raise DjangoPermissionDenied
    else:
        task = None
        plan = get_scoped_or_404(request.user, Plan.objects.select_related("inspection"), pk=plan_pk)
        if not (user_can(request.user, CREATE, Task) and user_can(request.user, CHANGE, plan)):
            raise DjangoPermissionDenied
    units = scope_for(request.user, Organization.objects.filter(is_active=True)).order_by("kind", "sort_order", "id")
    initial, measures_initial = _initial(task, plan)
    form = TaskForm(request.POST or None, initial=initial, plan=plan, units=units)
    measures = MeasureFormSet(  # type: ignore[call-arg]
        request.POST or None, initial=measures_initial, units=units, prefix="measures"
    )
    if request.method == "POST" and form.is_valid() and measures.is_valid():
        data = task_data_from_forms(form, measures, is_sample=task.is_sample if task else False)
        if task is not None:
            data.milestones = [(m.date, m.title, m.percent) for m in task.milestones.all()]
        try:
            if task is None:
                task = task_create(actor=request.user, plan=plan, data=data)
                messages.success(request, _("任务已创建。"))
            elif task_update(actor=request.user, task=task, data=data,
                             expected_version=form.cleaned_data.get("version")):
                messages.success(request, _("任务已保存。"))
            else:
                messages.info(request, _("没有修改。"))
        except DomainError as error:
            form_error(form, error)
        else:
            return redirect("task_detail", pk=task.pk)
    return render(request, "rectification/task_form.html", {"form": form, "measures": measures, "task": task, "plan": plan})


def _initial(task: Task | None, plan: Plan) -> tuple[dict, list[dict]]:
    if task is None:
        return {"number": (plan.tasks.order_by("-number").values_list("number", flat=True).first() or 0) + 1}, []
    initial = {
        "number": task.number,
        "title": task.title,
        "goal": task.goal,
        "implementing_units": list(task.implementing_units.all()),
        "lead_unit": task.lead_unit,
        "cooperating_units": list(task.cooperating_units.all()),
        "responsible_leader": task.responsible_leader,
        "acceptance_unit": task.acceptance_unit,
        "deadline": task.deadline_text or (f"{task.deadline:%Y年%-m月%-d日}" if task.deadline else ""),
        "due_year": task.due_year,
        "category": task.category,
        "measure_area": task.measure_area,
        "remarks": task.remarks,
        "location_lat": task.location_lat,
        "location_lon": task.location_lon,
        "version": task.version,
    }
    measures = [
        {
            "text": m.text,
            "units": list(m.units.all()),
            "deadline": m.deadline_text or (f"{m.deadline:%Y年%-m月%-d日}" if m.deadline else ""),
        }
        for m in task.measures.prefetch_related("units").order_by("number")
    ]
    return initial, measures
