"""Pages of 信访件: the list (filters, export), the case page (complainant for the office only, handling,
review, repeats, evidence, look-backs), the handling and assignment forms, statistics and batches.

Each view parses input, calls one service or selector and renders; the rules live in `services` and
`policies`. Hidden and missing cases both answer 404; visible cases whose action the user may not take
answer 403. Text shown to anyone but the office goes through `redaction.mask_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenggai.accounts.models import Organization, Role
from zhenggai.accounts.policies import scope_for, user_has_role
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied
from zhenggai.core.events import chain_key_for
from zhenggai.core.models import Event
from zhenggai.core.views_util import form_error, get_scoped_or_404, paginate
from zhenggai.inspections.models import Inspection

from . import policies, services
from . import statistics as stats
from .forms import (
    ComplaintAssignForm,
    ComplaintEvidenceForm,
    ComplaintHandleForm,
    ComplaintLinkForm,
    ComplaintReviewForm,
    LookBackRecordForm,
    LookBackScheduleForm,
)
from .models import Complaint, ComplaintLookBack, ComplaintStatus, HandoverBatch, PollutionType
from .redaction import find_sensitive
from .selectors import (
    ComplaintFilters,
    batch_detail_for_user,
    batch_list_for_user,
    complainant_for_user,
    complaint_detail_for_user,
    complaint_list_for_user,
    evidence_for_complaint,
    region_filter_choices,
    repeat_candidates,
    today,
    unit_filter_choices,
)


def sees_raw_text(user: Any) -> bool:
    """The office (and superusers) read summaries unmasked; everybody else through `mask_text`."""
    return bool(getattr(user, "is_superuser", False)) or user_has_role(user, Role.OFFICE)


def _visible(request: HttpRequest, pk: int) -> Complaint:
    try:
        return complaint_detail_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc


def _run(request: HttpRequest, action: Callable[[], Any], success: str) -> bool:
    """Call a service; a refusal becomes a message on the next page (hidden → 404, forbidden → 403)."""
    try:
        action()
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except DomainError as error:
        messages.error(request, str(error.message))
        return False
    messages.success(request, success)
    return True


def _detail_url(complaint: Complaint, anchor: str = "") -> str:
    return reverse("complaint_detail", args=[complaint.pk]) + (f"#{anchor}" if anchor else "")


def _number(params: Any, name: str) -> int | None:
    value = (params.get(name) or "").strip()
    return int(value) if value.isdigit() else None


# ------------------------------------------------------------------------------------------ list


def _list_context(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    filters = ComplaintFilters.from_query(request.GET)
    visible = scope_for(user, Complaint.objects.all())
    batches = scope_for(user, HandoverBatch.objects.select_related("inspection")).order_by("-handed_over", "-number")
    if filters.inspection:
        batches = batches.filter(inspection_id=filters.inspection)
    return {
        "filters": filters,
        "complaints": complaint_list_for_user(user, filters),
        "inspections": Inspection.objects.filter(pk__in=visible.values("inspection_id")).order_by("-start_date"),
        "batches": batches,
        "regions": region_filter_choices(user),
        "units": unit_filter_choices(user),
        "statuses": [("open", _("未办结（含阶段性办结）")), *ComplaintStatus.choices],
        "types": PollutionType.choices,
        "show_raw": sees_raw_text(user),
    }


@login_required
@require_GET
def complaint_list(request: HttpRequest) -> HttpResponse:
    context = _list_context(request)
    context["page"] = paginate(request, context["complaints"], 25)
    template = "complaints/_table.html" if request.headers.get("HX-Request") else "complaints/list.html"
    return render(request, template, context)


@login_required
@require_GET
def complaint_list_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as .xlsx: the published columns and the handling, never the complainant; free
    text masked (phone, ID and e-mail)."""
    from zhenggai.reports.xlsx import xlsx_response

    complaints = _list_context(request)["complaints"]
    return xlsx_response(complaint_workbook(complaints, on=today()), _("信访件清单") + f"-{today():%Y%m%d}.xlsx")


# ---------------------------------------------------------------------------------------- detail


def _detail_context(request: HttpRequest, complaint: Complaint, **forms: Any) -> dict[str, Any]:
    from zhenggai.evidence.templatetags.evidence_tags import file_icon

    user = request.user
    office = policies.may_manage(user, complaint)
    can_handle = policies.may_handle(user, complaint) and not complaint.merged_into_id
    evidence = list(evidence_for_complaint(user, complaint))
    for item in evidence:
        item.icon = file_icon(item.content_type)  # type: ignore[attr-defined]
    candidates: list[tuple[Complaint, float]] = []
    if office:
        found = repeat_candidates(complaint)
        visible = set(scope_for(user, Complaint.objects.filter(pk__in=[c.pk for c, _s in found]))
                      .values_list("pk", flat=True))
        candidates = [(c, score) for c, score in found if c.pk in visible]
    look_backs = complaint.look_backs.select_related("rebound_complaint").order_by("-scheduled_date", "-id")
    return {
        "complaint": complaint,
        "complainant": complainant_for_user(user, complaint) if policies.may_see_complainant(user, complaint) else None,
        "is_office": office,
        "show_raw": policies.may_see_complainant(user, complaint),
        "sensitive": find_sensitive(complaint.summary) if office else [],
        "can_handle": can_handle and complaint.review_status != "submitted",
        "can_submit": policies.may_submit(user, complaint) and complaint.review_status in ("draft", "returned")
        and complaint.status != ComplaintStatus.RECEIVED and not complaint.merged_into_id,
        "can_review": office and complaint.review_status == "submitted",
        "handle_form": forms.get("handle_form") or (ComplaintHandleForm(initial=ComplaintHandleForm.initial_for(complaint))
                                                    if can_handle else None),
        "review_form": forms.get("review_form") or ComplaintReviewForm(),
        "evidence_form": ComplaintEvidenceForm(initial={"category": "statement"}) if can_handle else None,
        "evidence": evidence,
        "candidates": candidates,
        "repeats": scope_for(user, complaint.repeats.all()).order_by("pk"),
        "merged": scope_for(user, complaint.merged.all()).order_by("pk"),
        "look_backs": look_backs,
        "lookback_schedule_form": LookBackScheduleForm() if office and complaint.status == ComplaintStatus.DONE else None,
        "lookback_record_form": LookBackRecordForm() if office else None,
        "counters": [(name, stats.counter_label(name), unit, getattr(complaint, name)) for name, unit in stats.COUNTERS],
        "events": Event.objects.filter(chain__key=chain_key_for(complaint)).order_by("-seq"),
        "accept": _accept(),
    }


def _accept() -> str:
    from zhenggai.evidence.forms import ACCEPT

    return ACCEPT


@login_required
@require_GET
def complaint_detail(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    return render(request, "complaints/detail.html", _detail_context(request, complaint))


def _with_upload_limit(request: HttpRequest, pk: int,
                       view: Callable[[HttpRequest, int, Any], HttpResponse]) -> HttpResponse:
    """Put the evidence module's size-limiting upload handler in front, then run the CSRF-checked view."""
    from zhenggai.evidence.files import max_bytes
    from zhenggai.evidence.services import max_files
    from zhenggai.evidence.uploads import EvidenceUploadLimit

    handler = EvidenceUploadLimit(request, max_bytes=max_bytes(), max_files=max_files())
    try:
        request.upload_handlers = [handler, *request.upload_handlers]
    except AttributeError:  # the body was already read: the service still checks every file
        return view(request, pk, None)
    return view(request, pk, handler)


def _limit_problems(limit: Any, files: list[Any]) -> list[str]:
    from zhenggai.evidence.files import too_big_message
    from zhenggai.evidence.services import evidence_check_files, max_files

    if limit is not None and limit.too_many:
        return [_("一次最多上传 %(n)s 个文件。") % {"n": max_files()}]
    if limit is not None and limit.too_big:
        return [*(too_big_message(name) for name in limit.too_big), *evidence_check_files(files=files)]
    return []


@csrf_exempt  # checked by `_handle`, after the size-limiting upload handler is in place
@login_required
@require_http_methods(["GET", "POST"])
def complaint_handle(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the handling form. POST (multipart): the result and evidence files (`files`)."""
    return _with_upload_limit(request, pk, _handle)


@csrf_protect
def _handle(request: HttpRequest, pk: int, limit: Any) -> HttpResponse:
    from zhenggai.evidence.services import EvidenceRefused

    complaint = _visible(request, pk)
    if not policies.may_handle(request.user, complaint):
        raise DjangoPermissionDenied
    form = ComplaintHandleForm(request.POST or None, initial=ComplaintHandleForm.initial_for(complaint))
    refused: list[str] = []
    if request.method == "POST" and form.is_valid():
        files = request.FILES.getlist("files")
        refused = _limit_problems(limit, files)
        if not refused:
            try:
                services.complaint_handle(actor=request.user, complaint=complaint, data=form.service_data(),
                                          files=files, evidence_category=form.cleaned_data["evidence_category"],
                                          expected_version=form.cleaned_data.get("version"))
            except EvidenceRefused as error:
                refused = error.messages
            except NotFound as exc:
                raise Http404 from exc
            except PermissionDenied as exc:
                raise DjangoPermissionDenied from exc
            except DomainError as error:
                form_error(form, error)
            else:
                messages.success(request, _("办理情况已保存。"))
                return redirect(_detail_url(complaint))
    status = 400 if request.method == "POST" else 200
    return render(request, "complaints/handle.html", {"complaint": complaint, "form": form, "refused": refused,
                                                      "accept": _accept(),
                                                      "show_raw": sees_raw_text(request.user)}, status=status)


@csrf_exempt  # checked by `_evidence_upload`, after the size-limiting upload handler is in place
@login_required
@require_POST
def complaint_evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    return _with_upload_limit(request, pk, _evidence_upload)


@csrf_protect
def _evidence_upload(request: HttpRequest, pk: int, limit: Any) -> HttpResponse:
    from zhenggai.evidence.services import EvidenceRefused

    complaint = _visible(request, pk)
    form = ComplaintEvidenceForm(request.POST)
    files = request.FILES.getlist("files")
    problems = _limit_problems(limit, files)
    if not form.is_valid():
        problems.append(_("请选择佐证材料类别。"))
    if problems:
        for problem in problems:
            messages.error(request, problem)
        return redirect(_detail_url(complaint, "evidence"))
    try:
        stored = services.complaint_evidence_create(actor=request.user, complaint=complaint, files=files,
                                                    category=form.cleaned_data["category"],
                                                    description=form.cleaned_data["description"])
    except EvidenceRefused as error:
        for message in error.messages:
            messages.error(request, message)
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("已上传 %(n)s 个文件。") % {"n": len(stored)})
    return redirect(_detail_url(complaint, "evidence"))


@login_required
@require_http_methods(["GET", "POST"])
def complaint_assign(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    if not policies.may_manage(request.user, complaint):
        raise DjangoPermissionDenied
    units = scope_for(request.user, Organization.objects.filter(is_active=True).exclude(
        kind__in=[Organization.Kind.INSPECTION_GROUP, Organization.Kind.OFFICE])).order_by("kind", "sort_order", "id")
    initial = {"lead_unit": complaint.lead_unit, "cooperating_units": list(complaint.cooperating_units.all())}
    form = ComplaintAssignForm(request.POST or None, initial=initial, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_assign(actor=request.user, complaint=complaint, lead_unit=form.cleaned_data["lead_unit"],
                                      cooperating_units=list(form.cleaned_data["cooperating_units"]))
        except NotFound as exc:
            raise Http404 from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("已交办。"))
            return redirect(_detail_url(complaint))
    return render(request, "complaints/assign.html", {"complaint": complaint, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def complaint_review(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    if not policies.may_manage(request.user, complaint):
        raise DjangoPermissionDenied
    form = ComplaintReviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.complaint_review(actor=request.user, complaint=complaint, approve=approve,
                                      note=form.cleaned_data["note"])
        except NotFound as exc:
            raise Http404 from exc
        except PermissionDenied as exc:
            raise DjangoPermissionDenied from exc
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("审核通过。") if approve else _("已退回修改。"))
            return redirect(_detail_url(complaint))
    return render(request, "complaints/review.html", {"complaint": complaint, "form": form,
                                                      "show_raw": True},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def complaint_submit(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = _visible(request, pk)
    _run(request, lambda: services.complaint_submit(actor=request.user, complaint=complaint),
         _("办理结果已提交督察整改办审核。"))
    return redirect(_detail_url(complaint))


@login_required
@require_POST
def complaint_link(request: HttpRequest, pk: int) -> HttpResponse:
    """POST action=repeat|merge with other=<case id>, or action=unlink."""
    complaint = _visible(request, pk)
    form = ComplaintLinkForm(request.POST)
    if not form.is_valid() or (form.cleaned_data["action"] != "unlink" and not form.cleaned_data["other"]):
        messages.error(request, _("请选择要关联的信访件。"))
        return redirect(_detail_url(complaint, "repeats"))
    action = form.cleaned_data["action"]
    other = None
    if action != "unlink":
        other = get_scoped_or_404(request.user, Complaint.objects.all(), pk=form.cleaned_data["other"])
    if action == "merge":
        _run(request, lambda: services.complaint_merge(actor=request.user, complaint=complaint, into=other),  # type: ignore[arg-type]
             _("已合并至 %(n)s 办理。") % {"n": other.acceptance_number if other else ""})
    else:
        _run(request, lambda: services.complaint_link_repeat(actor=request.user, complaint=complaint, other=other),
             _("已关联为重复件。") if other else _("已取消重复关联。"))
    return redirect(_detail_url(complaint, "repeats"))


@login_required
@require_POST
def complaint_lookback(request: HttpRequest, pk: int) -> HttpResponse:
    """POST op=schedule (scheduled_date) or op=record (look_back, result, notes)."""
    complaint = _visible(request, pk)
    if not policies.may_manage(request.user, complaint):
        raise DjangoPermissionDenied
    if request.POST.get("op") == "record":
        record = LookBackRecordForm(request.POST)
        if not record.is_valid():
            messages.error(request, _("请选择回头看结果并填写核查情况。"))
        else:
            look_back = get_scoped_or_404(request.user, ComplaintLookBack.objects.filter(complaint=complaint),
                                          pk=record.cleaned_data["look_back"])
            _run(request, lambda: services.complaint_lookback_record(
                actor=request.user, look_back=look_back, result=record.cleaned_data["result"],
                notes=record.cleaned_data["notes"]), _("回头看结果已记录。"))
    else:
        schedule = LookBackScheduleForm(request.POST)
        if not schedule.is_valid():
            messages.error(request, _("请填写计划日期。"))
        else:
            _run(request, lambda: services.complaint_lookback_schedule(
                actor=request.user, complaint=complaint, scheduled_date=schedule.cleaned_data["scheduled_date"]),
                _("已安排回头看。"))
    return redirect(_detail_url(complaint, "lookbacks"))


# ---------------------------------------------------------------------------- statistics, batches


@login_required
@require_GET
def complaint_statistics(request: HttpRequest) -> HttpResponse:
    visible = scope_for(request.user, Complaint.objects.all())
    inspections = Inspection.objects.filter(pk__in=visible.values("inspection_id")).order_by("-start_date")
    inspection_id, batch_id = _number(request.GET, "inspection"), _number(request.GET, "batch")
    batches = HandoverBatch.objects.filter(pk__in=visible.values("batch_id")).select_related("inspection")
    cases = visible
    if inspection_id:
        cases = cases.filter(inspection_id=inspection_id)
        batches = batches.filter(inspection_id=inspection_id)
    if batch_id:
        cases = cases.filter(batch_id=batch_id)
    figures = stats.complaint_statistics(cases, on=today())
    return render(request, "complaints/statistics.html", {
        "stats": figures, "sentence": stats.summary_sentence(figures), "inspections": inspections,
        "batches": batches.order_by("-handed_over", "-number"), "inspection_id": inspection_id, "batch_id": batch_id,
    })


@login_required
@require_GET
def batch_list(request: HttpRequest) -> HttpResponse:
    return render(request, "complaints/batch_list.html", {"batches": batch_list_for_user(request.user)})


@login_required
@require_GET
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        batch = batch_detail_for_user(request.user, pk)
    except NotFound as exc:
        raise Http404 from exc
    filters = ComplaintFilters(batch=batch.pk)
    complaints = complaint_list_for_user(request.user, filters)
    figures = stats.complaint_statistics(scope_for(request.user, Complaint.objects.filter(batch=batch)), on=today())
    return render(request, "complaints/batch_detail.html", {
        "batch": batch, "page": paginate(request, complaints, 50), "filters": filters, "stats": figures,
        "sentence": stats.summary_sentence(figures), "show_raw": sees_raw_text(request.user),
    })


# ------------------------------------------------------------------------------------------ export


def complaint_workbook(complaints: Any, *, on: Any) -> Any:
    """The cases as one styled sheet in the column order of published tables, then the handling
    details. No complainant field ever; free text goes through `mask_text`."""
    from openpyxl import Workbook

    from zhenggai.reports.xlsx import styled_sheet

    from .redaction import mask_text
    from .selectors import complaint_warning
    from .templatetags.complaint_tags import pollution_labels

    warning_labels = {"red": _("红灯"), "yellow": _("黄牌"), "green": _("正常")}
    headers = [
        _("序号"), _("受理编号"), _("重点件"), _("交办批次"), _("交办问题基本情况"), _("行政区域"), _("污染类型"),
        _("牵头办理单位"), _("配合单位"), _("反馈期限"), _("调查核实情况"), _("是否属实"), _("办结目标"),
        _("处理和整改情况"), _("是否办结"), _("办结日期"), _("责任人被处理情况"),
        *(f"{stats.counter_label(name)}（{unit}）" for name, unit in stats.COUNTERS),
        _("是否重复"), _("重复关联件编号"), _("合并编号"), _("审核状态"), _("预警"), _("备注"),
    ]
    rows = (
        [
            c.sequence, c.acceptance_number, "★" if c.is_priority else "", str(c.batch), mask_text(c.summary),
            c.region.name if c.region else c.region_text, pollution_labels(c),
            c.lead_unit.name if c.lead_unit else "", "、".join(u.name for u in c.cooperating_units.all()),
            c.reply_deadline, mask_text(c.investigation), c.get_truthfulness_display(), mask_text(c.handling_goal),
            mask_text(c.handling), _status_word(c), c.done_at, mask_text(c.accountability),
            *(getattr(c, name) for name in stats.COUNTER_FIELDS),
            _("是") if c.repeat_of_id else _("否"), c.repeat_of.acceptance_number if c.repeat_of else "",
            c.merged_into.acceptance_number if c.merged_into else "", c.get_review_status_display(),
            warning_labels[complaint_warning(c, on)], mask_text(c.remarks),
        ]
        for c in complaints
    )
    workbook = Workbook()
    workbook.remove(workbook.active)  # styled_sheet then starts a fresh sheet with the header in row 1
    styled_sheet(workbook, _("信访件"), headers, rows,
                 widths=[6, 20, 6, 16, 48, 12, 12, 18, 18, 12, 40, 10, 24, 40, 10, 12, 24, *([10] * 9),
                         8, 20, 20, 10, 8, 20])
    return workbook


def _status_word(c: Complaint) -> str:
    """是否办结 in the words of published tables."""
    if c.status == ComplaintStatus.DONE:
        return _("已办结")
    if c.status == ComplaintStatus.STAGE_DONE:
        return _("阶段性办结")
    return _("未办结")
