"""Signed event webhooks: other systems learn of changes as they happen.

An admin registers a `WebhookTarget` with format `generic` for an organization, with the event types it
wants (`event_types`: exact verbs such as `task.close`, prefixes such as `task.*`, or `*` for all). The
hook receives the events about objects located in that organization's region or below: tasks and what
belongs to them (reports, supervision notices, acceptance, public notices, look-backs), rounds,
inspections, plans, meetings, complaint batches and complaints. Events about anything else (users,
organizations, settings, the hooks themselves) are never sent.

When an event is recorded (`Event` post_save, inside the changing transaction), `event_hooks_on_event`
matches it against the active hooks (cached per process; a change of a hook drops the copy at once in
its own process and, through the shared cache, in every other app server and worker within
`CHECK_SECONDS` — see core/process_cache.py; `CACHE_SECONDS` bounds it where the cache is not shared),
looks up the object's region (one query, only when a hook subscribes to the verb) and creates one `WebhookDelivery` per matching hook (key `event:<event id>`) in the same
transaction, so a delivery exists exactly when its event was committed. After the commit each delivery
is queued for `webhook_deliver`; its retries and the daily sweep are those of the group robots
(webhooks.py).

The body (JSON, keys sorted, compact, UTF-8):
    {"id": 123, "verb": "task.close", "time": "2025-03-04T02:15:00.123456Z", "actor": "张三",
     "object": {"type": "task", "id": "42", "repr": "1. 城区污水管网…"}, "data": {...}, "test": false}
`data` is the event's data without anything confidential: keys naming personal data (complainant,
contact, phone, e-mail, ID number, …) are removed at every depth, and phone numbers, ID numbers and
e-mail addresses inside text are masked as on the public pages.

Headers of every attempt: `X-Zhenggai-Event` (the verb), `X-Zhenggai-Delivery` (the delivery id, the
same on every retry), `X-Zhenggai-Timestamp` (Unix seconds of this attempt), and
`X-Zhenggai-Signature: sha256=<hex>` where hex = HMAC-SHA256(key=the hook's secret,
msg=timestamp + "." + raw body bytes). A receiver verifies it like this (Python):

    import hashlib, hmac, time

    def verify(secret: str, headers, body: bytes, tolerance: int = 300) -> bool:
        timestamp = headers["X-Zhenggai-Timestamp"]
        if abs(time.time() - int(timestamp)) > tolerance:
            return False  # too old (or a replay)
        mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest("sha256=" + mac, headers["X-Zhenggai-Signature"])

and answers 2xx quickly; anything else (or no answer in 10 s) is retried after 1 and 10 minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.apps import apps
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from zhenggai.complaints.redaction import mask_text
from zhenggai.core.models import Event
from zhenggai.core.process_cache import ProcessCache

from .models import WebhookDelivery, WebhookTarget
from .webhooks import DELIVER_TASK, event_body, event_signature

logger = logging.getLogger(__name__)

GENERIC = WebhookTarget.Format.GENERIC
CACHE_SECONDS = 30.0  # where the cache is not shared, another process sees a changed hook after this long
CHECK_SECONDS = 1.0  # where it is (Redis), after at most this long
SIGNATURE_TOLERANCE = 300  # seconds a receiver should accept between the timestamp and its clock

# object_type of an event -> (model, lookups giving the region path, the first non-empty one wins)
REGION_PATHS: dict[str, tuple[str, tuple[str, ...]]] = {
    "task": ("rectification.Task", ("region__path",)),
    "measure": ("rectification.Measure", ("task__region__path",)),
    "milestone": ("rectification.Milestone", ("task__region__path",)),
    "progressreport": ("rectification.ProgressReport", ("task__region__path",)),
    "supervisionnotice": ("rectification.SupervisionNotice", ("task__region__path",)),
    "acceptanceapplication": ("rectification.AcceptanceApplication", ("task__region__path",)),
    "publicnotice": ("rectification.PublicNotice", ("task__region__path",)),
    "lookback": ("rectification.LookBack", ("task__region__path",)),
    "dispatchround": ("rectification.DispatchRound", ("region__path",)),
    "inspection": ("inspections.Inspection", ("target_region__path",)),
    "plan": ("inspections.Plan", ("inspection__target_region__path",)),
    "meeting": ("inspections.Meeting", ("inspection__target_region__path",)),
    "handoverbatch": ("complaints.HandoverBatch", ("inspection__target_region__path",)),
    "complaint": ("complaints.Complaint", ("region__path", "inspection__target_region__path")),
    "complaintlookback": ("complaints.ComplaintLookBack",
                          ("complaint__region__path", "complaint__inspection__target_region__path")),
}

# keys whose values are personal or secret, removed from `data` wherever they appear
CONFIDENTIAL_KEYS = frozenset({
    "complainant", "complainants", "complainant_name", "complainant_contact", "contact", "contact_name",
    "contact_phone", "contact_email", "phone", "mobile", "email", "id_number", "id_card", "address",
    "client_hash", "secret", "token", "password",
})

PATTERN_RE = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")


@dataclass(frozen=True)
class HookRule:
    pk: int
    region_path: str
    patterns: tuple[str, ...]


# --- matching -----------------------------------------------------------------------------------------


def valid_pattern(pattern: str) -> bool:
    """`*`, an exact verb (`task.close`) or a prefix ending in `.*` (`task.*`, `complaint.*`)."""
    return bool(PATTERN_RE.match(pattern))


def verb_matches(verb: str, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == verb:
            return True
        if pattern.endswith(".*") and verb.startswith(pattern[:-1]):
            return True
    return False


def _load_rules() -> tuple[HookRule, ...]:
    rows = WebhookTarget.objects.filter(format=GENERIC, is_active=True).values_list(
        "pk", "organization__region__path", "event_types"
    )
    return tuple(HookRule(pk, path or "", tuple(types or ())) for pk, path, types in rows if path)


_rules = ProcessCache("event-hooks", _load_rules, max_age=CACHE_SECONDS, check_seconds=CHECK_SECONDS)


def active_rules() -> tuple[HookRule, ...]:
    """The active event hooks (one indexed query, then kept in this process; see the module)."""
    return _rules.get()


def clear_rule_cache() -> None:
    """Drop the cached hooks here and, through the shared cache, in every other process."""
    _rules.invalidate()


@receiver([post_save, post_delete], sender=WebhookTarget, dispatch_uid="event_hooks_clear_cache")
def _hook_changed(**kwargs: Any) -> None:
    _rules.drop_local()
    transaction.on_commit(clear_rule_cache)  # a reader may have cached the old rows meanwhile


def object_region_path(object_type: str, object_id: str) -> str | None:
    """The region path of the event's object, or None when events of its type are never sent."""
    entry = REGION_PATHS.get(object_type)
    if entry is None or not object_id.isdigit():
        return None
    label, lookups = entry
    row = apps.get_model(label).objects.filter(pk=int(object_id)).values_list(*lookups).first()
    if row is None:
        return None
    return next((path for path in row if path), None)


# --- the body -----------------------------------------------------------------------------------------


def clean_data(value: Any) -> Any:
    """The event data as a receiver may see it: confidential keys dropped, personal data in text masked."""
    if isinstance(value, dict):
        return {k: clean_data(v) for k, v in value.items() if str(k).lower() not in CONFIDENTIAL_KEYS}
    if isinstance(value, list):
        return [clean_data(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def event_payload(event: Event) -> dict[str, Any]:
    """The JSON body for one event (module docstring)."""
    data = {} if "complainant" in event.verb else clean_data(event.data or {})
    return {
        "id": event.pk,
        "verb": event.verb,
        "time": event.created_at.isoformat().replace("+00:00", "Z"),
        "actor": event.actor_name,
        "object": {"type": event.object_type, "id": event.object_id, "repr": mask_text(event.object_repr)},
        "data": data,
        "test": False,
    }


def webhook_verify(*, secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None,
                   tolerance: int = SIGNATURE_TOLERANCE) -> bool:
    """The receiver's check, for receivers written in Python against this package (see the docstring)."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    return hmac.compare_digest(event_signature(secret, timestamp, body), signature or "")


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def secret_fingerprint(secret: str) -> str:
    """A short, non-secret way to tell secrets apart in the audit log."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()[:12]


# --- the hook point -----------------------------------------------------------------------------------


@receiver(post_save, sender=Event, dispatch_uid="event_hooks_on_event")
def event_hooks_on_event(sender: Any, instance: Event, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    """Create the deliveries of a just recorded event (see the module docstring). Costs nothing while no
    hook subscribes to the verb."""
    if raw or not created:
        return
    rules = [rule for rule in active_rules() if verb_matches(instance.verb, rule.patterns)]
    if not rules:
        return
    path = object_region_path(instance.object_type, instance.object_id)
    if path is None:
        return
    wanted = [rule.pk for rule in rules if path.startswith(rule.region_path)]
    if not wanted:
        return
    # the cache may be a little stale: only hooks that still exist and are active get a delivery
    live = list(WebhookTarget.objects.filter(pk__in=wanted, format=GENERIC, is_active=True).values_list("pk", flat=True))
    if not live:
        return
    payload = event_payload(instance)
    key = f"event:{instance.pk}"  # a new event: no delivery can have this key yet
    rows = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(target_id=target_id, key=key, payload=payload) for target_id in live]
    )
    ids = [d.pk for d in rows if d.pk is not None] or list(
        WebhookDelivery.objects.filter(key=key, target_id__in=live).values_list("pk", flat=True))
    transaction.on_commit(partial(_enqueue_all, ids), robust=True)


def _enqueue_all(delivery_ids: list[int]) -> None:
    """Queue each delivery; without a queue the daily sweep (`webhook_retry_due`) sends them."""
    try:
        from django_q.tasks import async_task
    except Exception:  # pragma: no cover -- django-q2 is a dependency
        return
    for pk in delivery_ids:
        try:
            async_task(DELIVER_TASK, pk)
        except Exception:
            logger.warning("could not queue webhook delivery %s; the daily sweep will send it", pk, exc_info=True)


__all__ = [
    "CACHE_SECONDS", "CHECK_SECONDS", "CONFIDENTIAL_KEYS", "HookRule", "active_rules", "clean_data", "clear_rule_cache",
    "event_body", "event_hooks_on_event", "event_payload", "event_signature", "new_secret",
    "object_region_path", "secret_fingerprint", "valid_pattern", "verb_matches", "webhook_verify",
]
