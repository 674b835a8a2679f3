"""Caching of the public portal: ETags from a cheap fingerprint of the public data, 304 answers without
rendering, rendered pages kept in Django's cache under their ETag, and the last good copy of a page when
the database does not answer.

Rules:
- the fingerprint is ONE query: the count and the latest change time of every table a public page reads
  (plans, tasks, progress reports, reviews, notices, objections, public evidence, rounds, published
  complaint batches and cases), plus today's date (statuses such as 公示中 and 序时进度 move with the day);
- a page's ETag hashes the fingerprint with the view, its arguments, the normalised query (only the
  parameters the view knows), the language and the host (absolute URLs and QR codes depend on it), so
  any change of public data gives every page a new ETag and nothing stale is ever served under an old one;
- every GET/HEAD answers `Cache-Control: public, max-age=60`, an ETag and Last-Modified; If-None-Match (or
  If-Modified-Since) answers 304 before anything is rendered;
- portal views never touch the session or the user: templates are rendered without the request, so no
  context processor reads the user and no `Vary: Cookie` is added;
- when the database fails, the last copy rendered for the same URL (kept for a day) is served with
  `Warning: 110` rather than an error, so the portal survives an outage of the staff side's database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

logger = logging.getLogger(__name__)

MAX_AGE = 60
PAGE_SECONDS = 3600
LAST_GOOD_SECONDS = 24 * 3600
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy",
                "Content-Language")
View = Callable[..., HttpResponse]


def _tables() -> list[tuple[str, str | None, str]]:
    """(table, time column or None, condition) of every table a public page reads."""
    from zhenggai.complaints.models import Complaint, HandoverBatch
    from zhenggai.evidence.models import Evidence
    from zhenggai.inspections.models import MeasureArea, Plan
    from zhenggai.rectification.models import (
        AcceptanceReview,
        DispatchRound,
        Milestone,
        Objection,
        ProgressReport,
        PublicNotice,
        Task,
    )

    return [
        (Plan._meta.db_table, "updated_at", ""),
        (MeasureArea._meta.db_table, None, ""),
        (Task._meta.db_table, "updated_at", ""),
        (Milestone._meta.db_table, None, ""),
        (ProgressReport._meta.db_table, "updated_at", ""),
        (AcceptanceReview._meta.db_table, "created_at", ""),
        (PublicNotice._meta.db_table, "created_at", ""),
        (Objection._meta.db_table, "answered_at", ""),
        (Evidence._meta.db_table, "uploaded_at", "is_public = %s"),
        (DispatchRound._meta.db_table, "opened_at", ""),
        (HandoverBatch._meta.db_table, "published_at", "published_at IS NOT NULL"),
        (Complaint._meta.db_table, "published_at", "published_at IS NOT NULL"),
    ]


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):  # SQLite answers text for MAX() over a datetime column
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)
    return None


def data_fingerprint() -> tuple[str, dt.datetime | None]:
    """(a hash of the public data's state, the latest change time) — one query, see the module."""
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for table, column, condition in _tables():
        where = f" WHERE {condition}" if condition else ""
        if "%s" in condition:
            params.append(True)
        # table and column names come from the models' metadata, never from a request
        parts.append(f"(SELECT COUNT(*) FROM {quote(table)}{where})")  # noqa: S608
        if column:
            if "%s" in condition:
                params.append(True)
            parts.append(f"(SELECT MAX({quote(column)}) FROM {quote(table)}{where})")  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    stamps = [stamp for stamp in (_as_datetime(v) for v in row if not isinstance(v, int)) if stamp is not None]
    today = timezone.localdate()
    raw = "|".join(str(v) for v in (*row, today))
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    latest = max([*stamps, midnight])
    return hashlib.sha256(raw.encode()).hexdigest()[:24], latest


def site_url() -> str:
    return str(getattr(settings, "ZHENGGAI_SITE_URL", "") or "").rstrip("/")


def absolute_url(request: HttpRequest, path: str) -> str:
    """The absolute URL of `path`: the configured site URL (ZHENGGAI_SITE_URL), else the request's host."""
    base = site_url()
    return f"{base}{path}" if base else request.build_absolute_uri(path)


def render_page(template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    """Render a portal template WITHOUT the request: no context processor runs, so neither the session
    nor the user is read (see the module)."""
    return HttpResponse(render_to_string(template, context), status=status)


def _etag(name: str, request: HttpRequest, fingerprint: str, args: Iterable[Any]) -> str:
    raw = "|".join(str(p) for p in (name, *args, fingerprint, translation.get_language(), site_url() or
                                    request.get_host()))
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _public_headers(response: HttpResponseBase, etag: str, latest: dt.datetime | None) -> None:
    response["ETag"] = etag
    if latest is not None:
        response["Last-Modified"] = http_date(latest.timestamp())
    patch_cache_control(response, public=True, max_age=MAX_AGE)


def _stored(response: HttpResponse) -> dict[str, Any]:
    return {"content": response.content, "status": response.status_code,
            "headers": {k: response[k] for k in KEPT_HEADERS if response.has_header(k)}}


def _restored(stored: dict[str, Any]) -> HttpResponse:
    response = HttpResponse(stored["content"], status=stored["status"])
    for key, value in stored["headers"].items():
        response[key] = value
    return response


def public_page(*, vary_on: Callable[[HttpRequest], Iterable[Any]] | None = None) -> Callable[[View], View]:
    """Decorate a public GET view (see the module). `vary_on(request)` names the query parameters that
    change the page, already normalised (e.g. the parsed filters), so that random parameters neither
    break the cache nor fill it. Other methods answer 405."""

    def decorator(view: View) -> View:
        name = f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            return cached_response(request, name, lambda: view(request, *args, **kwargs),
                                   [*args, *sorted(kwargs.items()), *(vary_on(request) if vary_on else ())])

        return wrapped  # type: ignore[return-value]

    return decorator


def cached_response(request: HttpRequest, name: str, render: Callable[[], HttpResponse],
                    args: Iterable[Any]) -> HttpResponseBase:
    """The conditional, cached answer of one public page (see the module)."""
    last_key = f"portal:last:{hashlib.sha256(request.get_full_path().encode()).hexdigest()}"
    try:
        fingerprint, latest = data_fingerprint()
        etag = _etag(name, request, fingerprint, args)
        not_modified = get_conditional_response(request, etag=etag, last_modified=int(latest.timestamp()) if latest else None)
        if not_modified is not None:
            _public_headers(not_modified, etag, latest)
            return not_modified
        key = f"portal:page:{etag.strip(chr(34))}"
        stored = cache.get(key)
        if stored is None:
            response = render()
            if response.status_code != 200 or response.streaming:
                return response  # 404s and files are not kept
            stored = _stored(response)
            cache.set(key, stored, PAGE_SECONDS)
            cache.set(last_key, stored, LAST_GOOD_SECONDS)
        response = _restored(stored)
    except DatabaseError:
        stored = cache.get(last_key)
        if stored is None:
            raise
        logger.warning("portal: database unavailable, serving the last copy of %s", request.path, exc_info=True)
        response = _restored(stored)
        response["Warning"] = '110 - "Response is Stale"'
        patch_cache_control(response, public=True, max_age=MAX_AGE)
        return response
    _public_headers(response, etag, latest)
    return response
