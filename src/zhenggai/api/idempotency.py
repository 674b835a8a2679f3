"""Idempotent writes: a POST, PUT, PATCH or DELETE sent with an `Idempotency-Key` header is carried
out once per (user, key); a retry within 24 hours gets the stored answer (header
`Idempotent-Replayed: true`) without acting again.

- The same key with another method, path or body answers 422 `idempotency_key_reused`.
- A file upload (multipart body) is not read here: reading it would load the files into memory before the
  view's upload limits apply, so its fingerprint is its content length, not a hash of its content.
- While the first request is still running, a retry answers 409 `idempotency_in_progress`.
- Answers that did not reach the action (401, CSRF refusal, 429) and server errors are not stored, so the
  client may retry them with the same key.
The wrapper sits around every API view (see `urls.py`), so every write of every app is covered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .auth import request_identity
from .errors import error_response
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
MULTIPART = "multipart/form-data"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
KEEP = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
NOT_STORED = frozenset({401, 429})

OPENAPI_HEADER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": "幂等键：同一用户以同一键重试写请求时，返回首次的结果而不重复执行（保留 24 小时）",
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH, "pattern": "^[\\x21-\\x7e]+$"},
}


def idempotency_purge(*, now: dt.datetime | None = None) -> int:
    """Delete answers older than 24 hours; returns how many."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _per_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(record.body, status=record.status, content_type=record.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


def _body_fingerprint(request: HttpRequest) -> str:
    """SHA-256 of the body, or of the content length for a multipart upload (see the module)."""
    if request.content_type == MULTIPART:
        return hashlib.sha256(f"multipart:{request.META.get('CONTENT_LENGTH', '')}".encode()).hexdigest()
    return hashlib.sha256(request.body).hexdigest()


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        key = request.headers.get(HEADER, "").strip()
        if request.method not in WRITE_METHODS or not key:
            return view(request, *args, **kwargs)
        if len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
            return error_response(422, "invalid", _("幂等键不能超过 255 个字符，且只能包含可见的 ASCII 字符。"), HEADER)
        user = request_identity(request)
        if user is None:
            return view(request, *args, **kwargs)  # authentication answers 401
        body_hash = _body_fingerprint(request)
        now = timezone.now()
        IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=now - KEEP).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=request.method or "", path=request.path[:500], body_hash=body_hash,
                    created_at=now,
                )
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
            if existing is None:  # purged meanwhile
                return view(request, *args, **kwargs)
            if (existing.method, existing.path, existing.body_hash) != (request.method, request.path[:500], body_hash):
                return error_response(422, "idempotency_key_reused",
                                      _("该幂等键已用于另一个请求；请为新的请求使用新的幂等键。"), HEADER)
            if existing.status == 0:
                return error_response(409, "idempotency_in_progress", _("使用该幂等键的请求仍在处理中，请稍后重试。"))
            return _replay(existing)
        try:
            response = view(request, *args, **kwargs)
        except BaseException:
            record.delete()
            raise
        reached = getattr(request, "auth", None) is not None
        if not reached or response.status_code >= 500 or response.status_code in NOT_STORED or getattr(
                response, "streaming", False):
            record.delete()
            return response
        record.status = response.status_code
        record.content_type = response.get("Content-Type", "")[:100]
        record.body = response.content.decode("utf-8")
        record.save(update_fields=["status", "content_type", "body"])
        return response

    return wrapper
