"""Publication pages of complaint cases.

Public (no login): the published batches of each inspection with the cumulative figures, one batch's
ten-column table, and that table as .xlsx and .pdf. They read only `published_data` of published cases
and public facts of the batch (number, handover and publication dates) and the inspection — never the
complainant, the handling units' people or the office's review notes. They are cacheable
(`Cache-Control: public, max-age=300`) and carry an ETag derived from the publication times, so a
shared cache or the browser revalidates cheaply (304).

Staff: the office's page to preview a batch's masked table and publish it (`batch_publish`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_http_methods

from zhenggai.core.errors import DomainError
from zhenggai.core.views_util import get_scoped_or_404
from zhenggai.portal.caching import render_page
from zhenggai.reports.xlsx import attachment_disposition, styled_sheet, xlsx_response

from . import publication
from .models import Complaint, HandoverBatch
from .statistics import complaint_statistics, summary_sentence

MAX_AGE = 300
View = Callable[..., HttpResponse]
PDF_CACHE_SECONDS = 24 * 3600
WIDTHS = [6, 20, 40, 10, 12, 40, 9, 44, 10, 20]


def public_page(etag_func: Callable[..., str | None]) -> Callable[[View], View]:
    """Conditional GET with `etag_func` (304 when the client's copy is current) and
    `Cache-Control: public, max-age=300` on the page and on its 304 answers."""
    def decorator(view: View) -> View:
        conditional = condition(etag_func=etag_func)(view)

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = conditional(request, *args, **kwargs)
            if response.status_code in (200, 304):
                patch_cache_control(response, public=True, max_age=MAX_AGE)
            return response

        return wrapped

    return decorator


def _hash(*parts: Any) -> str:
    raw = "|".join(str(p) for p in (*parts, translation.get_language()))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------------------- ETags


def _index_etag(request: HttpRequest) -> str:
    latest = Complaint.objects.filter(published_at__isnull=False, batch__published_at__isnull=False).aggregate(
        latest=Max("published_at"), count=Count("pk"))
    batches = HandoverBatch.objects.filter(published_at__isnull=False).aggregate(
        latest=Max("published_at"), count=Count("pk"))
    # the figures say "截至<today>": a new day is a new page
    return _hash("index", latest["latest"], latest["count"], batches["latest"], batches["count"],
                 timezone.localdate())


def _batch_etag(kind: str) -> Any:
    def etag(request: HttpRequest, pk: int) -> str | None:
        published = HandoverBatch.objects.filter(pk=pk, published_at__isnull=False).values_list(
            "published_at", flat=True).first()
        if published is None:
            return None  # the view answers 404
        cases = Complaint.objects.filter(batch_id=pk, published_at__isnull=False).aggregate(
            latest=Max("published_at"), count=Count("pk"))
        return _hash(kind, pk, published.isoformat(), cases["latest"], cases["count"])

    return etag


def _published_batch(pk: int) -> HandoverBatch:
    batch = (HandoverBatch.objects.filter(pk=pk, published_at__isnull=False)
             .select_related("inspection", "inspection__group").first())
    if batch is None:
        raise Http404
    return batch


# -------------------------------------------------------------------------------------- public


@public_page(lambda request: _index_etag(request))
def portal_complaints(request: HttpRequest) -> HttpResponse:
    """Published batches per inspection, with the cumulative figures of the published cases."""
    by_inspection: dict[int, dict[str, Any]] = {}
    counts = dict(publication.published_complaints().order_by().values("batch_id").annotate(n=Count("pk"))
                  .values_list("batch_id", "n"))
    for batch in publication.published_batches().select_related("inspection__group"):
        entry = by_inspection.setdefault(batch.inspection_id, {"inspection": batch.inspection, "batches": []})
        entry["batches"].append({"batch": batch, "count": counts.get(batch.pk, 0)})
    sections = []
    for inspection_id, entry in by_inspection.items():
        stats = complaint_statistics(publication.published_complaints().filter(inspection_id=inspection_id))
        sections.append({**entry, "stats": stats, "sentence": summary_sentence(stats)})
    sections.sort(key=lambda s: s["inspection"].start_date, reverse=True)
    return render_page("portal/complaints.html", {"sections": sections})


@public_page(_batch_etag("html"))
def portal_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """The ten-column table of one published batch."""
    batch = _published_batch(pk)
    return render_page("portal/complaints_batch.html", {
        "batch": batch, "inspection": batch.inspection, "columns": publication.column_pairs(),
        "rows": publication.public_rows(batch),
    })


def _filename(batch: HandoverBatch, extension: str) -> tuple[str, str]:
    name = _("%(inspection)s第%(n)s批信访举报件办理情况.%(ext)s") % {
        "inspection": batch.inspection.group.name if batch.inspection.group else "", "n": batch.number,
        "ext": extension}
    return name, f"complaints-batch-{batch.pk}.{extension}"


@public_page(_batch_etag("xlsx"))
def portal_batch_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from openpyxl import Workbook

    batch = _published_batch(pk)
    workbook = Workbook()
    headers = [label for _key, label in publication.column_pairs()]
    sheet = styled_sheet(workbook, _("第%(n)s批") % {"n": batch.number}, headers,
                         [row["cells"] for row in publication.public_rows(batch)], WIDTHS)
    sheet.print_options.gridLines = False
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    name, fallback = _filename(batch, "xlsx")
    response = xlsx_response(workbook, name)
    response["Content-Disposition"] = attachment_disposition(name, fallback)
    return response


@public_page(_batch_etag("pdf"))
def portal_batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The table as a landscape A4 PDF (WeasyPrint, CJK font). Rendering takes a moment, so the bytes are
    kept in the cache under the ETag: a republished case makes a new ETag, hence a new PDF."""
    from zhenggai.rectification.documents import pdf_from_template

    batch = _published_batch(pk)
    key = f"portal:complaints-pdf:{_batch_etag('pdf')(request, pk)}"
    content = cache.get(key)
    if content is None:
        with translation.override(publication.PUBLISHED_LANGUAGE):
            content = pdf_from_template("complaints/batch_table_pdf.html", {
                "batch": batch, "inspection": batch.inspection, "columns": publication.column_pairs(),
                "rows": publication.public_rows(batch),
            })
        cache.set(key, content, PDF_CACHE_SECONDS)
    response = HttpResponse(content, content_type="application/pdf")
    name, fallback = _filename(batch, "pdf")
    response["Content-Disposition"] = attachment_disposition(name, fallback)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------------------- staff


def _back_url(batch: HandoverBatch) -> str:
    for name, args in (("batch_detail", [batch.pk]), ("complaint_list", [])):
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def batch_publish(request: HttpRequest, pk: int) -> HttpResponse:
    """The office's publication page. GET: the masked table as the public would see it, every masked spot
    and the cases not approved yet. POST: publish the batch. Others: 403 (404 when the batch is hidden)."""
    batch = get_scoped_or_404(request.user, HandoverBatch.objects.select_related(
        "inspection__target_region", "inspection__group", "published_by"), pk=pk)
    if not publication.may_publish(request.user, batch):
        raise DjangoPermissionDenied
    if request.method == "POST":
        try:
            publication.batch_publish(actor=request.user, batch=batch)
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("第%(n)s批已公开，公众可在信息公开网站查看。") % {"n": batch.number})
        return redirect("batch_publish", pk=batch.pk)
    rows = publication.publication_preview(batch)
    spots = [(row.complaint, spot) for row in rows for spot in row.spots]
    waiting = [row.complaint for row in rows if not row.ready]
    return render(request, "complaints/publish.html", {
        "batch": batch, "inspection": batch.inspection, "rows": rows, "spots": spots, "waiting": waiting,
        "columns": publication.column_pairs(), "back_url": _back_url(batch),
        "can_publish": bool(rows) and not waiting and batch.published_at is None,
    })
