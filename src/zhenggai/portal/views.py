"""The public site (no login): home, plan, task, results and public notices with their objection form.

Every GET goes through `caching.public_page` (ETag, 304, page cache, no session), except the objection
form's page. What is public is
decided in `selectors`. The objection form is the only write, on its own uncached page with Django's
CSRF token: see `notice_objection`.
"""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from zhenggai.complaints.redaction import mask_text
from zhenggai.core.errors import DomainError
from zhenggai.core.templatetags.zg import cn_date
from zhenggai.rectification.acceptance_forms import PublicObjectionForm
from zhenggai.rectification.models import Objection, PublicNotice
from zhenggai.rectification.transitions import objection_lodge
from zhenggai.rectification.warnings import today
from zhenggai.rectification.workflow import Category, ScheduleJudgement, TaskStatus

from . import selectors
from .caching import public_page, render_page
from .updates import latest_updates


@public_page()
def home(request: HttpRequest) -> HttpResponse:
    """The region's inspections and published plans, headline figures, open notices, latest updates."""
    plans = list(selectors.public_plans())
    sections: dict[int, dict[str, Any]] = {}
    for plan in plans:
        entry = sections.setdefault(plan.inspection_id, {"inspection": plan.inspection, "plans": []})
        entry["plans"].append({"plan": plan, "figures": selectors.task_figures(plan.tasks.all())})
    regions = sorted({p.inspection.target_region.name for p in plans})
    on = today()
    notices = [n for n in selectors.public_notices().filter(status=PublicNotice.Status.OPEN, end_date__gte=on)[:20]]
    return render_page("portal/home.html", {
        "regions": regions, "sections": list(sections.values()),
        "figures": selectors.task_figures(selectors.public_tasks()),
        "complaints": selectors.complaint_figures(), "notices": notices, "updates": latest_updates(8),
        "today": on,
    })


_ROW = ('<tr>\n      <th scope="row" data-label="{l_number}">{number}</th>\n'
        '      <td data-label="{l_problem}"><a href="{url}">{title}</a></td>\n'
        '      <td data-label="{l_units}">{units}</td>\n'
        '      <td data-label="{l_acceptance}">{acceptance}</td>\n'
        '      <td data-label="{l_deadline}">{deadline}</td>\n'
        '      <td data-label="{l_status}"><span class="badge {status_class}" data-status="{status}">{status_label}</span>'
        '</td>\n'
        '      <td data-label="{l_schedule}"><span data-judgement="{judgement}">{judgement_label}</span></td>\n'
        '    </tr>')


def task_table_rows(rows: list[selectors.TaskRow]) -> str:
    """The <tr> elements of the plan's task table, every value escaped. Built here rather than in the
    template: with hundreds of rows, the template engine's variable lookups were most of the page's time."""
    labels = {"l_number": _("序号"), "l_problem": _("存在问题"), "l_units": _("整改实施主体"),
              "l_acceptance": _("验收单位"), "l_deadline": _("整改时限"), "l_status": _("状态"),
              "l_schedule": _("序时进度")}
    parts = []
    for row in rows:
        t = row.task
        title = t.title if len(t.title) <= TITLE_CHARS else Truncator(t.title).chars(TITLE_CHARS)
        acceptance = t.acceptance_unit
        parts.append(format_html(
            _ROW, **labels, number=t.number, url=row.url, title=title,
            units="、".join(u.short_name or u.name for u in row.units),
            acceptance=(acceptance.short_name or acceptance.name) if acceptance else "",
            deadline=t.deadline_text or cn_date(t.deadline), status_class=row.status_class, status=t.status,
            status_label=row.status_label, judgement=row.judgement, judgement_label=row.judgement_label))
    return mark_safe("".join(parts))  # noqa: S308 - every part comes from format_html


TITLE_CHARS = 90


def _filters(request: HttpRequest) -> tuple[Any, ...]:
    return selectors.TaskFilter.from_query(request.GET).key()


@public_page(vary_on=_filters)
def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan: goals, measure areas, guarantee measures, the filtered task table, the QR code."""
    plan = selectors.public_plan(pk)
    if plan is None:
        raise Http404
    flt = selectors.TaskFilter.from_query(request.GET)
    rows = selectors.task_rows(plan, flt)
    return render_page("portal/plan_detail.html", {
        "plan": plan, "rows": rows, "table_rows": task_table_rows(rows), "filter": flt, "figures": selectors.task_figures(plan.tasks.all()),
        "units": selectors.unit_choices(plan), "years": selectors.year_choices(plan),
        "statuses": TaskStatus.choices, "categories": Category.choices, "schedules": ScheduleJudgement.choices,
        "areas": list(plan.measure_areas.all()), "today": today(),
    })


@public_page()
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One task: its public fields, measures, timeline and public before/after photos."""
    task = selectors.public_task(pk)
    if task is None:
        raise Http404
    judgement = selectors.task_judgement(task)
    photos = selectors.public_photos(task)
    return render_page("portal/task_detail.html", {
        "task": task, "plan": task.plan, "judgement": ScheduleJudgement(judgement).label if judgement else "",
        "timeline": selectors.task_timeline(task),
        "before": [p for p in photos if p.category == "before_photo"],
        "after": [p for p in photos if p.category == "after_photo"],
        "rebound_public": bool(task.rebound_of and task.rebound_of.plan.published_date),
    })


@public_page()
def results(request: HttpRequest) -> HttpResponse:
    """成效清单: closed tasks with what changed, grouped by 九治 category."""
    groups = selectors.results()
    return render_page("portal/results.html", {"groups": groups, "count": sum(len(g[2]) for g in groups)})


@public_page()
def notice_list(request: HttpRequest) -> HttpResponse:
    return render_page("portal/notice_list.html", {"notices": selectors.public_notices()[:200], "today": today()})


# ----------------------------------------------------------------------------- notice + objection


def _client_hash(request: HttpRequest) -> str:
    raw = f"{settings.SECRET_KEY}|{request.META.get('REMOTE_ADDR', '')}|{request.META.get('HTTP_USER_AGENT', '')}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _origin_allowed(request: HttpRequest) -> bool:
    """A second layer behind Django's CSRF check on the objection form: browsers send `Origin` (and
    `Sec-Fetch-Site`) with every form POST; a POST marked as coming from another site is refused even if
    it somehow carried a valid token."""
    if request.META.get("HTTP_SEC_FETCH_SITE", "") == "cross-site":
        return False
    origin = request.META.get("HTTP_ORIGIN", "")
    if not origin:
        return True
    if origin == "null":
        return False
    allowed = {f"{request.scheme}://{request.get_host()}", *getattr(settings, "CSRF_TRUSTED_ORIGINS", [])}
    site = getattr(settings, "ZHENGGAI_SITE_URL", "")
    if site:
        parts = urlsplit(site)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


def _notice(pk: int) -> PublicNotice:
    notice = selectors.public_notices().filter(pk=pk).first()
    if notice is None:
        raise Http404
    return notice


def _notice_page(notice: PublicNotice, *, lodged: bool) -> HttpResponse:
    answered = [{"content": mask_text(o.content), "answer": mask_text(o.answer)}
                for o in notice.objections.filter(status=Objection.Status.ANSWERED).order_by("submitted_at", "pk")]
    return render_page("portal/notice_detail.html", {
        "notice": notice, "is_open": selectors.notice_is_open(notice), "answered": answered,
        "objection_count": notice.objections.count(), "lodged": lodged,
        "task_public": notice.task.plan.published_date is not None,
    })


def _lodged(request: HttpRequest) -> list[bool]:
    return [request.GET.get("lodged") == "1"]


@public_page(vary_on=_lodged)
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice (cacheable, the same for everyone). It links to the objection form (`notice_objection`),
    which has its own uncached page because it carries a CSRF token. After an objection the visitor comes
    back here with `?lodged=1`."""
    return _notice_page(_notice(pk), lodged=request.GET.get("lodged") == "1")


@require_http_methods(["GET", "HEAD", "POST"])
def notice_objection(request: HttpRequest, pk: int) -> HttpResponse:
    """The public's objection to an open notice: GET shows the form, POST lodges it and goes back to the
    notice with `?lodged=1`; an invalid form answers 400 with its errors. Protected by Django's CSRF
    middleware (the token is in the form, the cookie is set here), with the origin check as a second
    layer; never cached (`private, no-store`), so the token is never shared. The page is rendered without
    the request, as every portal page: neither the session nor the user is read."""
    if request.method == "POST" and not _origin_allowed(request):
        response: HttpResponse = HttpResponseForbidden(_("请在本网站的公示页面提交异议。"))
    else:
        response = _lodge(request, pk) if request.method == "POST" else _objection_page(
            request, _notice(pk), PublicObjectionForm())
    patch_cache_control(response, private=True, no_store=True)
    return response


def _objection_page(request: HttpRequest, notice: PublicNotice, form: PublicObjectionForm, *,
                    status: int = 200) -> HttpResponse:
    return render_page("portal/notice_objection.html", {
        "notice": notice, "form": form, "is_open": selectors.notice_is_open(notice),
        "csrf_token": get_token(request),
    }, status=status)


def _lodge(request: HttpRequest, pk: int) -> HttpResponse:
    notice = _notice(pk)
    form = PublicObjectionForm(request.POST)
    if not selectors.notice_is_open(notice):
        form.is_valid()
        form.add_error(None, _("公示已结束，不再受理异议。"))
    elif form.is_valid():
        try:
            objection_lodge(notice=notice, client_hash=_client_hash(request), **form.cleaned_data)
        except DomainError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error.message))
        else:
            return redirect(reverse("portal:notice_detail", args=[notice.pk]) + "?lodged=1")
    return _objection_page(request, notice, form, status=400)
