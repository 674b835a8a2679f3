"""The append-only event log, hash-chained per aggregate.

Every service that changes data calls `event_record` inside its transaction. Each aggregate
(`task:42`, `plan:3`, `organization:7`…) has its own chain, so writes to different aggregates never
wait on one row; `audit_verify` checks every chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, router, transaction
from django.db.models import Value
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.utils import timezone

from .audit_state import state_for_event, states_for_events
from .models import Event, EventChain

# Sent once per batch by `event_record_bulk` (keyword `events`: the saved events, in order), after the
# `post_save` of each of them, which carries `bulk=True`: a receiver that keeps a projection of events
# may skip those and write the batch's rows at once here.
events_bulk_recorded = Signal()


def _canonical(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_content(event: Event) -> dict[str, Any]:
    """The fields that the hash covers."""
    return {
        "chain": event.chain.key,
        "seq": event.seq,
        "created_at": event.created_at.astimezone(dt.UTC).isoformat(),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "verb": event.verb,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "data": json.loads(_canonical(event.data)),
        "prev_hash": event.prev_hash,
    }


def event_hash(event: Event) -> str:
    return hashlib.sha256(_canonical(event_content(event)).encode("utf-8")).hexdigest()


def chain_key_for(obj: models.Model) -> str:
    return f"{obj._meta.model_name}:{obj.pk}"


def _chained_event(*, chain: EventChain, actor: Any, actor_name: str, verb: str, obj: models.Model,
                   payload: dict[str, Any]) -> Event:
    """The next event of `chain` (unsaved, hashed); the chain's length and head move to it."""
    event = Event(
        chain=chain,
        seq=chain.length + 1,
        created_at=timezone.now(),
        actor=actor,
        actor_name=actor_name,
        verb=verb,
        object_type=obj._meta.model_name or "",
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        data=json.loads(_canonical(payload)),
        prev_hash=chain.head_hash,
    )
    event.hash = event_hash(event)
    chain.length = event.seq
    chain.head_hash = event.hash
    return event


def event_record(
    *,
    actor: Any,
    verb: str,
    obj: models.Model,
    data: dict[str, Any] | None = None,
    chain_key: str | None = None,
) -> Event:
    """Append an event about `obj` to its aggregate's chain. Call inside the changing transaction.

    `actor` is a user (the system actor for jobs and commands). `data` holds before/after values or
    whatever explains the change; it must be JSON-serialisable through DjangoJSONEncoder. The key
    `state` is added with the field digests of the key records just changed (core.audit_state).
    """
    if actor is None:
        raise ValueError("every event needs an actor; use core.actors.system_actor() for jobs")
    key = chain_key or chain_key_for(obj)
    payload = dict(data or {})
    with transaction.atomic():
        # the current state of the key records this change touched (see core.audit_state)
        state = state_for_event(obj)
        if state:
            payload["state"] = state
        EventChain.objects.get_or_create(key=key)
        chain = EventChain.objects.select_for_update().get(key=key)
        event = _chained_event(chain=chain, actor=actor, actor_name=actor.get_full_name() or actor.get_username(),
                               verb=verb, obj=obj, payload=payload)
        event.save()
        chain.save(update_fields=["length", "head_hash"])
    return event


def event_record_bulk(
    *,
    actor: Any,
    verb: str,
    items: Sequence[tuple[models.Model, dict[str, Any]]],
    batch_size: int = 500,
) -> list[Event]:
    """`event_record` for many objects at once (bulk imports): one event per (object, data) pair, in
    order, each appended to its object's chain exactly as `event_record` would append it (same content,
    `state` included, same hash), so `audit_verify` cannot tell them apart. Call inside the changing
    transaction, after the objects are saved.

    A few statements per batch instead of about six per event: the existing chains are locked together
    (`select_for_update`) and their heads updated together, new chains are inserted with their heads,
    the events with `bulk_create`. `post_save` is sent for every event as `save()` would (the event hooks and the
    integrity triggers listen to it), with `bulk=True`, then `events_bulk_recorded` once per batch.
    """
    if actor is None:
        raise ValueError("every event needs an actor; use core.actors.system_actor() for jobs")
    actor_name = actor.get_full_name() or actor.get_username()
    created: list[Event] = []
    with transaction.atomic():
        for start in range(0, len(items), batch_size):
            batch = items[start:start + batch_size]
            states = states_for_events([obj for obj, _data in batch])
            keys = list(dict.fromkeys(chain_key_for(obj) for obj, _data in batch))
            chains = {c.key: c for c in EventChain.objects.select_for_update().filter(key__in=keys).order_by("pk")}
            existing = list(chains.values())
            fresh = [EventChain(key=key) for key in keys if key not in chains]
            chains.update((chain.key, chain) for chain in fresh)
            events = []
            for (obj, data), state in zip(batch, states, strict=True):
                chain = chains[chain_key_for(obj)]
                payload = dict(data or {})
                if state:
                    payload["state"] = state
                events.append(_chained_event(chain=chain, actor=actor, actor_name=actor_name, verb=verb, obj=obj,
                                             payload=payload))
            # new chains are inserted with their final head (an update of each would cost more than the
            # events); a chain created meanwhile by another transaction makes this one fail (unique key)
            EventChain.objects.bulk_create(fresh)
            if any(chain.pk is None for chain in fresh):  # a backend that cannot return ids
                chain_ids = dict(EventChain.objects.filter(key__in=[c.key for c in fresh]).values_list("key", "pk"))
                for chain in fresh:
                    chain.pk = chain_ids[chain.key]
            if existing:
                EventChain.objects.bulk_update(existing, ["length", "head_hash"])
            for event in events:
                event.chain = event.chain  # takes the id of a chain saved since
            contents = [event.data for event in events]
            if connection.vendor == "postgresql":
                # one parameter per value instead of PostgreSQL's UNNEST of arrays: psycopg escapes the
                # JSON text inside an array in Python, which took most of the insert's time
                for event in events:
                    event.data = Value(event.data, output_field=models.JSONField())
            try:
                Event.objects.bulk_create(events)
            finally:
                for event, content in zip(events, contents, strict=True):
                    event.data = content
            if any(event.pk is None for event in events):  # a backend that cannot return ids
                ids = dict(Event.objects.filter(hash__in=[e.hash for e in events]).values_list("hash", "pk"))
                for event in events:
                    event.pk = ids[event.hash]
            using = router.db_for_write(Event)
            for event in events:
                post_save.send(sender=Event, instance=event, created=True, update_fields=None, raw=False, using=using,
                               bulk=True)
            events_bulk_recorded.send(sender=Event, events=events, using=using)
            created += events
    return created


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields that changed, as {"field": [old, new]}."""
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


@dataclass(frozen=True)
class AuditProblem:
    event_id: int | None
    chain: str
    seq: int | None
    reason: str


def audit_verify(*, chunk_size: int = 2000) -> Iterator[AuditProblem]:
    """Check every chain: each event's hash matches its content, each links to its predecessor,
    sequence numbers run 1..n without gaps and the chain head matches the last event.

    Yields the problems in chain order; the first yielded is the first broken event.
    """
    chains = {c.pk: c for c in EventChain.objects.all()}
    state: dict[int, tuple[int, str]] = {pk: (0, "") for pk in chains}
    events = Event.objects.select_related("chain").order_by("chain_id", "seq").iterator(chunk_size=chunk_size)
    for event in events:
        last_seq, last_hash = state[event.chain_id]
        key = event.chain.key
        if event.seq != last_seq + 1:
            yield AuditProblem(event.pk, key, event.seq, f"sequence jumps from {last_seq} to {event.seq}")
        if event.prev_hash != last_hash:
            yield AuditProblem(event.pk, key, event.seq, "does not link to the previous event")
        if event_hash(event) != event.hash:
            yield AuditProblem(event.pk, key, event.seq, "content does not match its hash")
        state[event.chain_id] = (event.seq, event.hash)
    for pk, chain in chains.items():
        last_seq, last_hash = state[pk]
        if chain.length != last_seq or chain.head_hash != last_hash:
            yield AuditProblem(None, chain.key, last_seq, "chain head does not match its last event (events removed?)")
