"""Caching of the public portal: ETags from a cheap fingerprint of the public data, 304 answers without
rendering, rendered pages kept in Django's cache under their ETag, and the last good copy of a page when
the database does not answer.

Rules:
- the fingerprint is ONE short query that reads only indexes and one tiny table: the public data's
  version (the sum of `PublicDataVersion` slots, with its latest change time), the largest id of every
  table a public page reads, and today's date (statuses such as 公示中 and 序时进度 move with the day).
  No COUNT(*), no scan of a data table, whatever the size of the data;
- the version grows with every committed transaction that writes public data: `public_data_changed()`
  adds one to a version slot inside the writing transaction, so the change and the new version become
  visible together. It runs by itself on every `save()`, `delete()` (queryset deletes included: Django
  sends the signals per row when they have receivers) and many-to-many change of the models in
  `TRACKED` (apps.ready connects the signals). Writes that send no signal — `QuerySet.update()`,
  `bulk_update()`, raw SQL — must call `public_data_changed()` in the same transaction (audited: the
  warning job, look-backs, an upheld objection, a rebound complaint). Inserts by `bulk_create` or COPY
  that do not call it still change the largest id of their table;
- a writing transaction locks only a slot no other transaction holds (`FOR UPDATE SKIP LOCKED` on
  PostgreSQL; SQLite has one writer anyway), or adds a slot: writers never wait for each other here,
  and readers never wait at all. It bumps once per transaction, again only when the fingerprint was
  read since (as in a test that writes and reads in one transaction);
- the computed fingerprint is kept in Django's cache for `FINGERPRINT_SECONDS` (2 s; 0 under tests,
  `ZHENGGAI_PORTAL_FINGERPRINT_SECONDS` to change it) and dropped at once, by the writing process, when
  public data changes and again when the change commits; with Redis as the cache that is every app
  server, otherwise other processes see the change within those seconds (well inside `max-age`);
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
import threading
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

logger = logging.getLogger(__name__)

MAX_AGE = 60
PAGE_SECONDS = 3600
LAST_GOOD_SECONDS = 24 * 3600
FINGERPRINT_SECONDS = 2.0
FINGERPRINT_KEY = "portal:fingerprint"
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "X-Content-Type-Options", "Content-Security-Policy",
                "Content-Language")
View = Callable[..., HttpResponse]


def tracked_models() -> list[type[models.Model]]:
    """Every model whose rows a public page shows (directly or as a name, a count or a status)."""
    from zhenggai.accounts.models import Organization, Region
    from zhenggai.complaints.models import Complaint, HandoverBatch
    from zhenggai.evidence.models import Evidence
    from zhenggai.inspections.models import Inspection, MeasureArea, Plan
    from zhenggai.rectification.models import (
        AcceptanceReview,
        DispatchRound,
        Measure,
        Milestone,
        Objection,
        ProgressReport,
        PublicNotice,
        Task,
    )

    return [Plan, MeasureArea, Task, Measure, Milestone, ProgressReport, AcceptanceReview, PublicNotice, Objection,
            Evidence, DispatchRound, HandoverBatch, Complaint, Inspection, Organization, Region]


def _id_tables() -> list[str]:
    """The tables whose largest id is part of the fingerprint: the tracked ones and the many-to-many
    tables of tasks and measures (filled in bulk by imports)."""
    from zhenggai.rectification.models import Measure, Task

    through = [Task.implementing_units.through, Task.cooperating_units.through, Measure.units.through]
    return [m._meta.db_table for m in [*tracked_models(), *through]]


# ------------------------------------------------------------------------------ the version


_reads = 0  # how often the fingerprint was read from the database in this process (see _Bumped)
_reads_lock = threading.Lock()


class _Bumped:
    """The on-commit callback a transaction registers when it bumps the version: it drops the cached
    fingerprint once the change is visible. Its presence in the transaction's callbacks means "bumped
    already" (Django discards it with a rolled-back savepoint, and then we bump again)."""

    def __init__(self, reads: int) -> None:
        self.reads = reads

    def __call__(self) -> None:
        forget_fingerprint()


def _bumped_already(using: str) -> bool:
    connection = connections[using]
    for entry in connection.run_on_commit:
        func = entry[1]
        if isinstance(func, _Bumped) and func.reads == _reads:
            return True
    return False


_ready: set[str] = set()  # database aliases whose version table exists


def _table_ready(using: str) -> bool:
    """False while the portal's migration has not run (data migrations of other apps save tracked
    models before it): there is no portal to keep fresh yet."""
    from zhenggai.core.models import PublicDataVersion

    if using not in _ready:
        if PublicDataVersion._meta.db_table not in connections[using].introspection.table_names():
            return False
        _ready.add(using)
    return True


def _bump(using: str) -> None:
    from zhenggai.core.models import PublicDataVersion

    if not _table_ready(using):
        return
    connection = connections[using]
    table = connection.ops.quote_name(PublicDataVersion._meta.db_table)
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    now = timezone.now()
    with connection.cursor() as cursor:
        # the table name comes from the model's metadata
        cursor.execute(f"UPDATE {table} SET number = number + 1, changed_at = %s WHERE id = "  # noqa: S608
                       f"(SELECT id FROM {table} ORDER BY id LIMIT 1{lock})", [now])
        if cursor.rowcount == 0:  # no slot yet, or every slot held by a running transaction
            PublicDataVersion.objects.using(using).create(number=1, changed_at=now)


def public_data_changed(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Record that the current transaction changes public data (see the module): call it after every
    write that sends no model signal (`QuerySet.update()`, `bulk_update()`, raw SQL)."""
    connection = connections[using]
    if connection.in_atomic_block and _bumped_already(using):
        return  # one bump per transaction; its commit drops the cached fingerprint again
    forget_fingerprint()
    _bump(using)
    if connection.in_atomic_block:
        transaction.on_commit(_Bumped(_reads), using=using)


def _on_save_or_delete(sender: Any, using: str = DEFAULT_DB_ALIAS, raw: bool = False, **_: Any) -> None:
    if not raw:  # fixtures loaded by loaddata
        public_data_changed(using=using)


def _on_m2m(sender: Any, instance: Any, action: str, model: Any, using: str = DEFAULT_DB_ALIAS, **_: Any) -> None:
    if action.startswith("post_") and (type(instance) in _TRACKED or model in _TRACKED):
        public_data_changed(using=using)


_TRACKED: set[type[models.Model]] = set()


def connect_signals() -> None:
    """Bump the version on every save, delete and many-to-many change of a tracked model (apps.ready)."""
    from django.db.models.signals import m2m_changed, post_delete, post_save

    _TRACKED.update(tracked_models())
    for model in _TRACKED:
        post_save.connect(_on_save_or_delete, sender=model, dispatch_uid=f"portal-version-save-{model._meta.label}")
        post_delete.connect(_on_save_or_delete, sender=model,
                            dispatch_uid=f"portal-version-delete-{model._meta.label}")
    m2m_changed.connect(_on_m2m, dispatch_uid="portal-version-m2m")


# -------------------------------------------------------------------------- the fingerprint


def _fingerprint_seconds() -> float:
    configured = getattr(settings, "ZHENGGAI_PORTAL_FINGERPRINT_SECONDS", None)
    if configured is not None:
        return float(configured)
    return 0.0 if getattr(settings, "TESTING", False) else FINGERPRINT_SECONDS


def forget_fingerprint() -> None:
    """Drop the cached fingerprint (here, and in every process when the cache is shared)."""
    try:
        cache.delete(FINGERPRINT_KEY)
    except Exception:  # noqa: BLE001 - an unreachable cache keeps nothing either
        logger.warning("portal: could not drop the cached fingerprint", exc_info=True)


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


def _fingerprint_from_database() -> tuple[str, dt.datetime | None]:
    from zhenggai.core.models import PublicDataVersion

    global _reads
    with _reads_lock:
        _reads += 1
    connection = connections[DEFAULT_DB_ALIAS]
    quote = connection.ops.quote_name
    version = quote(PublicDataVersion._meta.db_table)
    # table names come from the models' metadata, never from a request; each MAX(id) reads one index entry
    parts = [f"(SELECT COALESCE(SUM(number), 0) FROM {version})",  # noqa: S608
             f"(SELECT MAX(changed_at) FROM {version})"]  # noqa: S608
    parts += [f"(SELECT MAX(id) FROM {quote(table)})" for table in _id_tables()]  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))  # noqa: S608
        row = cursor.fetchone()
    today = timezone.localdate()
    raw = "|".join(str(v) for v in (row[0], *row[2:], today))
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    changed = _as_datetime(row[1])
    latest = max(changed, midnight) if changed is not None else midnight
    return hashlib.sha256(raw.encode()).hexdigest()[:24], latest


def data_fingerprint() -> tuple[str, dt.datetime | None]:
    """(a hash of the public data's state, the latest change time) — one query or none, see the module."""
    seconds = _fingerprint_seconds()
    if seconds <= 0:
        return _fingerprint_from_database()
    try:
        kept = cache.get(FINGERPRINT_KEY)
    except Exception:  # noqa: BLE001 - without the cache, ask the database
        kept = None
    if kept is not None:
        return kept[0], kept[1]
    found = _fingerprint_from_database()
    try:
        cache.set(FINGERPRINT_KEY, found, seconds)
    except Exception:  # noqa: BLE001
        logger.warning("portal: could not keep the fingerprint", exc_info=True)
    return found


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
