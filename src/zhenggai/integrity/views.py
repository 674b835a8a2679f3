"""Pages of the integrity review (真实性核查): the queue with its filters and export, and one flag with
its data and the forms to decide on it. Views parse input, call one service or selector, and render.

Users who may not see flags (units, admin) get 404 for every page: the review is internal."""

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

from zhenggai.core.errors import DomainError, NotFound
from zhenggai.core.views_util import form_error, paginate

from .exports import queue_workbook
from .forms import DecisionForm, FlagCaseForm
from .models import IntegrityFlag
from .policies import available_transitions, may_read_flags
from .selectors import (
    CURRENT,
    GONE,
    FlagFilters,
    evidence_rows,
    flag_check_counts,
    flag_for_user,
    flag_history,
    flag_list_for_user,
    flag_status_counts,
    region_choices,
    unit_choices,
)
from .services import (
    integrity_flag_confirm,
    integrity_flag_dismiss,
    integrity_flag_reopen,
    integrity_flag_to_accountability,
)
from .workflow import CONFIRM, DISMISS, LABELS, REOPEN, TO_ACCOUNTABILITY, FlagStatus


def _readable(request: HttpRequest) -> None:
    if not may_read_flags(request.user):
        raise Http404


@login_required
def flag_list(request: HttpRequest) -> HttpResponse:
    _readable(request)
    filters = FlagFilters.from_query(request.GET)
    statuses = flag_status_counts(request.user, filters)
    return render(request, "integrity/list.html", {
        "filters": filters, "page": paginate(request, flag_list_for_user(request.user, filters), 50),
        "checks": flag_check_counts(request.user, filters), "statuses": statuses,
        "status_choices": [(s, FlagStatus(s).label, statuses[s]) for s in FlagStatus.values],
        "total": sum(statuses.values()), "units": unit_choices(request.user),
        "regions": region_choices(request.user), "found_choices": [(CURRENT, _("仍存在")), (GONE, _("已不再发现"))],
    })


@login_required
def flag_list_export(request: HttpRequest) -> HttpResponse:
    from zhenggai.reports.xlsx import xlsx_response

    _readable(request)
    flags = flag_list_for_user(request.user, FlagFilters.from_query(request.GET))
    return xlsx_response(queue_workbook(flags), _("真实性核查疑点") + f"-{timezone.localdate():%Y%m%d}.xlsx")


def _flag_or_404(user: Any, pk: int) -> IntegrityFlag:
    try:
        return flag_for_user(user, pk)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def _forms(actions: list[str], data: Any = None, action: str = "") -> dict[str, Any]:
    """One form per available action; the posted one is bound."""
    def bound(name: str) -> Any:
        return data if name == action else None

    forms: dict[str, Any] = {}
    if CONFIRM in actions:
        forms[CONFIRM] = DecisionForm(bound(CONFIRM), prefix=CONFIRM, required=False,
                                      help_text=_("确认后计入考核（如考核细则设有该项），纪检监察机关可据此问责。"))
    if DISMISS in actions:
        forms[DISMISS] = DecisionForm(bound(DISMISS), prefix=DISMISS,
                                      help_text=_("请写明排除理由，如现场核实情况。以后核查再次发现时仍保持已排除。"))
    if REOPEN in actions:
        forms[REOPEN] = DecisionForm(bound(REOPEN), prefix=REOPEN, help_text=_("请写明重新核查的理由。"))
    if TO_ACCOUNTABILITY in actions:
        forms[TO_ACCOUNTABILITY] = FlagCaseForm(bound(TO_ACCOUNTABILITY), prefix=TO_ACCOUNTABILITY)
    return forms


@login_required
@require_http_methods(["GET", "POST"])
def flag_detail(request: HttpRequest, pk: int) -> HttpResponse:
    flag = _flag_or_404(request.user, pk)
    actions = available_transitions(flag, request.user)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and action not in actions:
        raise DjangoPermissionDenied
    forms = _forms(actions, request.POST if action else None, action)
    if action:
        form = forms[action]
        if form.is_valid():
            try:
                if action == TO_ACCOUNTABILITY:
                    flag = integrity_flag_to_accountability(actor=request.user, flag=flag, case=form.case_input())
                    messages.success(request, _("已转为问责。"))
                    return redirect("accountability_detail", pk=flag.accountability_case_id)
                service = {CONFIRM: integrity_flag_confirm, DISMISS: integrity_flag_dismiss,
                           REOPEN: integrity_flag_reopen}[action]
                service(actor=request.user, flag=flag, reason=form.cleaned_data["reason"])
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("已%(action)s。") % {"action": LABELS[action]})
                return redirect("integrity_flag_detail", pk=flag.pk)
    return render(request, "integrity/detail.html", {
        "flag": flag, "rows": evidence_rows(flag.evidence or {}), "history": flag_history(flag),
        "forms": forms, "labels": LABELS, "posted": action,
    })
