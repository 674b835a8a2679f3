"""Group robots (企业微信 / 钉钉 群机器人): message formats, DingTalk signing, delivery and retries.

A message to a robot is a `WebhookDelivery`, unique per (target, key), so the same message is never
posted to the same group twice (services choose the keys: `notify:<key>`, `digest:<date>:<hash>`).

Signed event hooks (format `generic`, see `event_hooks.py`) use the same deliveries, claims and retries;
only the request differs: the stored payload is sent as compact JSON with sorted keys, and each attempt
carries `X-Zhenggai-Event` (the verb), `X-Zhenggai-Delivery` (the delivery id, the same on every retry:
receivers deduplicate with it), `X-Zhenggai-Timestamp` (Unix seconds of this attempt) and
`X-Zhenggai-Signature: sha256=<hex>`, the HMAC-SHA256 with the hook's secret over the bytes
`<timestamp>.<body>`. Any 2xx answer counts as delivered (no errcode check).

Delivery and retries (`webhook_deliver`): each attempt first claims the row with a conditional UPDATE
(status pending, attempts below `MAX_ATTEMPTS`, `next_attempt_at` due, robot enabled) that sets it to
`sending` with a lease (`next_attempt_at = now + lease()`), so two workers never post the same delivery
at once. The POST uses urllib with a 10 s timeout. A 2xx answer whose JSON `errcode` is 0 (or absent)
counts as sent; anything else is a failure (the robots answer bad signatures and rate limits with HTTP
200 and a non-zero errcode). After a failure the row goes back to `pending` with a backoff
(`RETRY_DELAYS`: 1 min, then 10 min) and a one-off django-q2 schedule retries it; after the third
failed attempt it is `failed` for good and nothing retries it. The daily job also calls
`webhook_retry_due`, which retries every pending delivery whose backoff has passed, so a lost queue
entry or a crashed worker delays a message but does not lose it. Only a worker that dies between the
POST and recording its outcome can cause a repeat (its lease expires and the next attempt posts
again): there we prefer a possible duplicate to a lost message.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import WebhookDelivery, WebhookTarget

logger = logging.getLogger(__name__)

Status = WebhookDelivery.Status

MAX_ATTEMPTS = 3
RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=10))  # after the 1st and the 2nd failure
HTTP_TIMEOUT = 10
WECOM_MAX_BYTES = 4096  # WeCom refuses markdown content above 4096 bytes
DINGTALK_MAX_CHARS = 5000
DELIVER_TASK = "zhenggai.notifications.webhooks.webhook_deliver"


def absolute_url(url: str) -> str:
    """An absolute link for e-mail and robots: ZHENGGAI_SITE_URL + path (the inbox when `url` is empty).
    Without ZHENGGAI_SITE_URL links stay relative."""
    url = url or reverse("inbox")
    base = str(getattr(settings, "ZHENGGAI_SITE_URL", "") or "").rstrip("/")
    if url.startswith(("http://", "https://")) or not base:
        return url
    return base + (url if url.startswith("/") else f"/{url}")


def truncate_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: max(limit - 3, 0)].decode("utf-8", errors="ignore") + "…"


def webhook_payload(target: WebhookTarget, title: str, lines: Sequence[str], url: str) -> dict[str, Any]:
    """The JSON body of a markdown message in the robot's format:
    WeCom `{"msgtype": "markdown", "markdown": {"content": ...}}` (content at most 4096 bytes),
    DingTalk `{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`."""
    link = f"[{_('查看详情')}]({url})" if url else ""
    if target.format == WebhookTarget.Format.DINGTALK:
        text = "\n".join([f"#### {title}", "", *(f"- {line}" for line in lines), "", link]).strip()
        return {"msgtype": "markdown", "markdown": {"title": title[:64], "text": text[:DINGTALK_MAX_CHARS]}}
    body = "\n".join([f"**{title}**", *(f"> {line}" for line in lines)])
    tail = f"\n{link}" if link else ""
    content = truncate_utf8(body, WECOM_MAX_BYTES - len(tail.encode())) + tail
    return {"msgtype": "markdown", "markdown": {"content": content}}


def webhook_signed_url(target: WebhookTarget, *, timestamp_ms: int | None = None) -> str:
    """The URL to post to. A DingTalk robot with a secret (加签) needs `timestamp` (ms) and
    `sign` = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))); the robot
    refuses a timestamp more than an hour off, so the URL is signed at each attempt."""
    if target.format != WebhookTarget.Format.DINGTALK or not target.secret:
        return target.url
    timestamp = str(timestamp_ms if timestamp_ms is not None else int(time.time() * 1000))
    secret = target.secret.encode("utf-8")
    digest = hmac.new(secret, f"{timestamp}\n{target.secret}".encode(), hashlib.sha256).digest()
    sign = base64.b64encode(digest).decode("ascii")
    separator = "&" if "?" in target.url else "?"
    return f"{target.url}{separator}{urlencode({'timestamp': timestamp, 'sign': sign})}"


def lease() -> dt.timedelta:
    """How long a claim lasts (setting ZHENGGAI_WEBHOOK_LEASE_SECONDS, default 2 minutes): longer than the
    HTTP timeout, so a claim older than this was abandoned; shorter than the queue's retry, so the job that
    the queue hands out again after a killed worker finds the claim run out and posts."""
    return dt.timedelta(seconds=int(getattr(settings, "ZHENGGAI_WEBHOOK_LEASE_SECONDS", 120)))


def webhook_deliver(delivery_id: int) -> str:
    """One attempt at posting a delivery; returns its status afterwards. Does nothing (and returns the
    current status) when the delivery is sent, failed, claimed by another worker, waiting for its backoff,
    or its robot is disabled. See the module docstring for the retry rules."""
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status__in=[Status.PENDING, Status.SENDING],
                                       attempts__lt=MAX_ATTEMPTS, target__is_active=True)
        .filter(due)
        .update(status=Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease())
    )
    if not claimed:
        return WebhookDelivery.objects.filter(pk=delivery_id).values_list("status", flat=True).first() or ""
    delivery = WebhookDelivery.objects.select_related("target").get(pk=delivery_id)
    code, error = _post(*webhook_request(delivery))
    finished = timezone.now()
    mine = WebhookDelivery.objects.filter(pk=delivery_id, status=Status.SENDING, attempts=delivery.attempts)
    if not error:
        mine.update(status=Status.SENT, sent_at=finished, response_code=code, error="", next_attempt_at=None)
        return Status.SENT
    if delivery.attempts < MAX_ATTEMPTS:
        retry_at = finished + RETRY_DELAYS[min(delivery.attempts, len(RETRY_DELAYS)) - 1]
        mine.update(status=Status.PENDING, response_code=code, error=error[:300], next_attempt_at=retry_at)
        _schedule_retry(delivery_id, delivery.attempts, retry_at)
        return Status.PENDING
    mine.update(status=Status.FAILED, response_code=code, error=error[:300], next_attempt_at=None)
    logger.warning("webhook delivery %s failed after %s attempts: %s", delivery_id, delivery.attempts, error)
    return Status.FAILED


def webhook_retry_due() -> int:
    """Retry every delivery whose backoff has passed (run by the daily job; the queued retries normally
    get there first). A delivery still `sending` after its lease on the last attempt is marked failed:
    its outcome is unknown and it has no attempt left. Returns the number of deliveries sent."""
    now = timezone.now()
    WebhookDelivery.objects.filter(status=Status.SENDING, attempts__gte=MAX_ATTEMPTS, next_attempt_at__lte=now).update(
        status=Status.FAILED, error="abandoned while sending", next_attempt_at=None
    )
    due = (
        WebhookDelivery.objects.filter(status__in=[Status.PENDING, Status.SENDING], attempts__lt=MAX_ATTEMPTS,
                                       target__is_active=True)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)
    )
    return sum(webhook_deliver(pk) == Status.SENT for pk in list(due))


def webhook_send_test(*, target: WebhookTarget, actor_name: str = "", deliver_now: bool = True) -> WebhookDelivery:
    """Post a test message to a robot, or the test event `webhook.test` to an event hook (admin action);
    every call is a new delivery, retried like any other. `deliver_now` makes the first attempt here (the
    admin pages wait for it); otherwise it is queued after the transaction commits (the API)."""
    now = timezone.now()
    key = f"test:{now.isoformat()}"
    if target.format == WebhookTarget.Format.GENERIC:
        payload: dict[str, Any] = {
            "id": None, "verb": "webhook.test", "time": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
            "actor": actor_name, "object": {"type": "webhooktarget", "id": str(target.pk), "repr": target.name},
            "data": {}, "test": True,
        }
    else:
        title = _("「整改」测试消息")
        lines = [_("收到这条消息，说明工作群机器人配置正确。")]
        payload = webhook_payload(target, title, lines, absolute_url(""))
    delivery = WebhookDelivery.objects.create(target=target, key=key, payload=payload)
    if deliver_now:
        webhook_deliver(delivery.pk)
        delivery.refresh_from_db()
    else:
        transaction.on_commit(partial(_queue_delivery, delivery.pk), robust=True)
    return delivery


def _queue_delivery(delivery_id: int) -> None:
    try:
        from django_q.tasks import async_task

        async_task(DELIVER_TASK, delivery_id)
    except Exception:  # the daily sweep sends it anyway
        logger.warning("could not queue webhook delivery %s", delivery_id, exc_info=True)


def event_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes posted (and signed) for an event hook: compact JSON, sorted keys, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def event_signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256(key=secret, msg=timestamp + "." + body)."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def webhook_request(delivery: WebhookDelivery, *, timestamp: int | None = None) -> tuple[str, bytes, dict[str, str], bool]:
    """(url, body, headers, check_errcode) of one attempt. Robots get their JSON message (DingTalk's URL
    signed); event hooks get the signed body and the X-Zhenggai-* headers (module docstring)."""
    target = delivery.target
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if target.format != WebhookTarget.Format.GENERIC:
        body = json.dumps(delivery.payload, ensure_ascii=False).encode("utf-8")
        return webhook_signed_url(target), body, headers, True
    body = event_body(delivery.payload)
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    headers.update({
        "User-Agent": "zhenggai-webhook/1",
        "X-Zhenggai-Event": str(delivery.payload.get("verb", "")),
        "X-Zhenggai-Delivery": str(delivery.pk),
        "X-Zhenggai-Timestamp": stamp,
        "X-Zhenggai-Signature": event_signature(target.secret, stamp, body),
    })
    return target.url, body, headers, False


def _post(url: str, body: bytes, headers: dict[str, str], check_errcode: bool = True) -> tuple[int | None, str]:
    """POST the body; (HTTP status or None, error text or ""). Robots answer failures with HTTP 200 and a
    non-zero `errcode`, so for them the answer is read too."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None, "unsupported URL scheme"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 -- scheme checked
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            code, raw = response.status, response.read(8192)
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc)) or exc.__class__.__name__
    if not check_errcode:
        return code, ""
    try:
        answer = json.loads(raw.decode("utf-8")) if raw else {}
    except ValueError:
        answer = {}
    errcode = answer.get("errcode", 0) if isinstance(answer, dict) else 0
    if str(errcode) != "0":
        return code, f"errcode {errcode}: {answer.get('errmsg', '')}"
    return code, ""


def _schedule_retry(delivery_id: int, attempt: int, when: dt.datetime) -> None:
    try:
        from django_q.models import Schedule
        from django_q.tasks import schedule

        schedule(DELIVER_TASK, delivery_id, name=f"webhook-retry-{delivery_id}-{attempt}",
                 schedule_type=Schedule.ONCE, next_run=when)
    except Exception:  # the daily sweep retries it anyway
        logger.warning("could not schedule the retry of webhook delivery %s", delivery_id, exc_info=True)
