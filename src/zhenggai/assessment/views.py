"""Pages of 考核: assessments (list, create, ranking with its rules, a unit's items, the event behind an
item, exports) and rule sets. Views parse input, call one service or selector, and render."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zhenggai.accounts.policies import user_region
from zhenggai.core.errors import DomainError, NotFound
from zhenggai.core.views_util import form_error
from zhenggai.reports.xlsx import xlsx_response

from . import exports
from .forms import AssessmentForm, RuleFormSet, RuleSetForm, rule_initial
from .models import Assessment
from .policies import may_manage, rule_sets_for, sees_all_units
from .selectors import (
    assessment_for_user,
    assessment_list_for_user,
    item_event_for_user,
    items_for_user,
    own_units,
    ranking_rows,
    unit_for_user,
)
from .services import assessment_compute, assessment_create, period_bounds, rule_set_create, rule_set_update


def _assessment_or_404(user: Any, pk: int) -> Assessment:
    try:
        return assessment_for_user(user, pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


@login_required
def assessment_list(request: HttpRequest) -> HttpResponse:
    return render(request, "assessment/list.html", {
        "assessments": assessment_list_for_user(request.user),
        "can_manage": may_manage(request.user, user_region(request.user)),
    })


@login_required
@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest) -> HttpResponse:
    region = user_region(request.user)
    if region is None or not may_manage(request.user, region):
        raise DjangoPermissionDenied
    rule_sets = rule_sets_for(request.user)
    form = AssessmentForm(request.POST or None, rule_sets=rule_sets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            start, end = period_bounds(data["period_kind"], data["year"], data["quarter"])
            assessment = assessment_create(actor=request.user, region=region, title=data["title"],
                                           period_kind=data["period_kind"], start=start, end=end,
                                           rule_set=data["rule_set"])
            assessment_compute(assessment=assessment, actor=request.user)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("考核已创建并完成计分。"))
            return redirect("assessment_detail", pk=assessment.pk)
    return render(request, "assessment/form.html", {"form": form, "has_rule_sets": rule_sets.exists()})


@login_required
def assessment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_or_404(request.user, pk)
    return render(request, "assessment/detail.html", {
        "assessment": assessment, "rows": ranking_rows(assessment=assessment),
        "openable": own_units(request.user, assessment),
        "can_manage": may_manage(request.user, assessment.region),
        "sees_all": sees_all_units(request.user, assessment),
    })


@login_required
@require_POST
def assessment_recompute(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_or_404(request.user, pk)
    if not may_manage(request.user, assessment.region):
        raise DjangoPermissionDenied
    before = assessment.digest
    assessment = assessment_compute(assessment=assessment, actor=request.user)
    if before and before == assessment.digest:
        messages.success(request, _("已重新计分，结果与上次相同。"))
    else:
        messages.success(request, _("已重新计分。"))
    return redirect("assessment_detail", pk=assessment.pk)


@login_required
def assessment_unit(request: HttpRequest, pk: int, org_pk: int) -> HttpResponse:
    assessment = _assessment_or_404(request.user, pk)
    try:
        unit = unit_for_user(request.user, assessment, org_pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    items = list(items_for_user(request.user, assessment, unit))
    row = next((r for r in ranking_rows(assessment=assessment) if r.unit_id == unit.pk), None)
    return render(request, "assessment/unit.html", {"assessment": assessment, "unit": unit, "items": items,
                                                    "row": row})


@login_required
def assessment_event(request: HttpRequest, pk: int, event_pk: int) -> HttpResponse:
    assessment = _assessment_or_404(request.user, pk)
    try:
        event, items = item_event_for_user(request.user, assessment, event_pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc
    data_json = json.dumps(event.data, ensure_ascii=False, indent=2, sort_keys=True)
    return render(request, "assessment/event.html", {"assessment": assessment, "event": event, "items": items,
                                                     "data_json": data_json})


@login_required
def assessment_ranking_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_or_404(request.user, pk)
    workbook = exports.ranking_workbook(assessment, ranking_rows(assessment=assessment))
    return xlsx_response(workbook, f"{assessment.title}-排名.xlsx")


@login_required
def assessment_scores_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _assessment_or_404(request.user, pk)
    workbook = exports.scores_workbook(assessment, items_for_user(request.user, assessment))
    return xlsx_response(workbook, f"{assessment.title}-计分明细.xlsx")


# ── rule sets ──

@login_required
def ruleset_list(request: HttpRequest) -> HttpResponse:
    if not may_manage(request.user, None):
        raise DjangoPermissionDenied
    rule_sets = rule_sets_for(request.user).select_related("region").prefetch_related("rules")
    return render(request, "assessment/ruleset_list.html", {"rule_sets": rule_sets})


@login_required
@require_http_methods(["GET", "POST"])
def ruleset_new(request: HttpRequest) -> HttpResponse:
    region = user_region(request.user)
    if region is None or not may_manage(request.user, region):
        raise DjangoPermissionDenied
    form = RuleSetForm(request.POST or None, initial={"name": _("督察整改考核细则")})
    if request.method == "POST" and form.is_valid():
        try:
            rule_set = rule_set_create(actor=request.user, region=region, name=form.cleaned_data["name"],
                                       description=form.cleaned_data["description"],
                                       base_points=form.cleaned_data["base_points"])
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("考核细则已创建（含默认规则），可继续修改。"))
            return redirect("ruleset_edit", pk=rule_set.pk)
    return render(request, "assessment/ruleset_new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def ruleset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule_set = rule_sets_for(request.user).filter(pk=pk).select_related("region").first()
    if rule_set is None:
        raise Http404
    if not may_manage(request.user, rule_set.region):
        raise DjangoPermissionDenied
    initial = {"name": rule_set.name, "description": rule_set.description, "base_points": rule_set.base_points}
    form = RuleSetForm(request.POST or None, initial=initial)
    formset = RuleFormSet(request.POST or None, prefix="rules",
                          initial=[rule_initial(r) for r in rule_set.rules.all()])
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        rules = [r for r in (f.rule_data() for f in formset.forms if f.cleaned_data) if r is not None]
        try:
            changed = rule_set_update(actor=request.user, rule_set=rule_set, name=form.cleaned_data["name"],
                                      description=form.cleaned_data["description"],
                                      base_points=form.cleaned_data["base_points"], rules=rules)
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("考核细则已保存；已有考核重新计分后按新规则计算。") if changed else _("没有修改。"))
            return redirect("ruleset_edit", pk=rule_set.pk)
    used_by = Assessment.objects.filter(rule_set=rule_set).order_by("-end")
    return render(request, "assessment/ruleset_form.html", {"rule_set": rule_set, "form": form, "formset": formset,
                                                            "used_by": used_by})

