"""The event log of generated data, hash-chained exactly as `core.events.event_record` chains it.

`event_record` stores `data` as the canonical JSON of the payload (plus `state`, the field digests of the
key records the change touched, `core.audit_state`) and hashes the canonical JSON of the event's content
(`core.events.event_content`). Here the same canonical JSON is assembled from pieces, so that the
digests of a record, which many events repeat, are encoded once: `json.dumps(..., sort_keys=True)` of a
dict is its sorted items joined, so splicing pre-encoded values gives the identical text. The test suite
checks the result with `verify-audit` (`core.events.audit_verify` and `core.audit_state.state_verify`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from zhenggai.core.audit_state import DIGEST_LENGTH, STATE_FIELDS
from zhenggai.core.models import Event, EventChain

from .bulk import BulkWriter, Json, Table, escape

_encoder = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                            default=DjangoJSONEncoder().default)
encode = _encoder.encode
_digests: dict[tuple[type, Any], str] = {}
_STATE_MARK = "\x00state\x00"
_STATE_TEXT = encode(_STATE_MARK)


def field_digest(value: Any) -> str:
    """`core.audit_state.field_digest` (the same canonical JSON, the same digest), remembering the digests
    of repeated plain values."""
    try:
        key = (type(value), value)
        found = _digests.get(key)
    except TypeError:  # a list or dict
        return hashlib.sha256(encode(value).encode("utf-8")).hexdigest()[:DIGEST_LENGTH]
    if found is None:
        found = hashlib.sha256(encode(value).encode("utf-8")).hexdigest()[:DIGEST_LENGTH]
        if len(_digests) < 200_000:
            _digests[key] = found
    return found


_SORTED_FIELDS = {label: tuple(sorted(fields)) for label, fields in STATE_FIELDS.items()}


class State:
    """The digests of one key record (model label → fields of STATE_FIELDS), encoded once per version.

    `set(**values)` changes fields; `fragment()` is the JSON of the current digests."""

    __slots__ = ("_fragment", "digests", "fields", "key")

    def __init__(self, label: str, model_name: str, pk: int, values: Mapping[str, Any]) -> None:
        self.key = f"{model_name}:{pk}"
        self.fields = _SORTED_FIELDS[label]
        self.digests = {name: field_digest(values[name]) for name in self.fields}
        self._fragment: str | None = None

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            self.digests[name] = field_digest(value)
        self._fragment = None

    def fragment(self) -> str:
        if self._fragment is None:
            # field names are identifiers and digests hex: the JSON needs no escaping
            digests = self.digests
            self._fragment = "{" + ",".join([f'"{name}":"{digests[name]}"' for name in self.fields]) + "}"
        return self._fragment


NULL = "\\N"  # COPY's NULL
LINE_COLUMNS = ("id", "chain_id", "seq", "created_at", "actor_id", "actor_name", "verb", "object_type", "object_id",
                "object_repr", "data", "prev_hash", "hash")


class EventLog:
    """Appends events to chains, writing Event rows as it goes; `close_chains()` writes the chain heads."""

    def __init__(self, writer: BulkWriter) -> None:
        self.writer = writer
        self.events = Table(Event)
        self.chain_table = Table(EventChain)
        self.chains: dict[str, list[Any]] = {}  # key → [id, length, head_hash]
        self.open: list[str] = []
        self.count = 0
        self._names: dict[str, tuple[str, str]] = {}  # actor name → (its JSON, its COPY text)
        self._reprs: dict[str, str] = {}  # object_repr → its JSON
        # PostgreSQL: each event goes to COPY as a line formatted here, from the values the hash is
        # computed from (the event log is most of the rows and bytes generated); a model whose columns
        # are not these (a column added later) falls back to the generic rows
        self.events.line_columns = LINE_COLUMNS
        self.lines = writer.postgres and set(self.events.columns) == set(LINE_COLUMNS)

    def chain(self, key: str) -> list[Any]:
        head = self.chains.get(key)
        if head is None:
            head = self.chains[key] = [self.chain_table.allocate(), 0, ""]
            self.open.append(key)
        return head

    def record(self, *, key: str, at: dt.datetime, actor: tuple[int, str], verb: str, object_type: str,
               object_id: int | str, object_repr: str, data: Mapping[str, Any],
               states: tuple[State, ...] = ()) -> int:
        """Append one event to chain `key` (created when new). `actor` is (user id, name). `states`: the key
        records whose digests this event carries (`data["state"]`). Returns the event's id."""
        head = self.chain(key)
        seq = head[1] + 1
        if states:
            # the state's keys are "<model>:<pk>": sorted as json.dumps sorts them; spliced in where
            # json.dumps puts the "state" key
            parts = sorted((s.key, s.fragment()) for s in states)
            state_json = "{" + ",".join(f'"{k}":{f}' for k, f in parts) + "}"
            data_json = encode({**data, "state": _STATE_MARK}).replace(_STATE_TEXT, state_json, 1)
        else:
            data_json = encode(data)
        object_id = str(object_id)
        object_repr = object_repr[:255]
        repr_json = self._reprs.get(object_repr)
        if repr_json is None:  # a chain's events mostly name the same object
            if len(self._reprs) > 10_000:
                self._reprs.clear()
            repr_json = self._reprs[object_repr] = encode(object_repr)
        names = self._names
        actor_texts = names.get(actor[1])
        if actor_texts is None:
            actor_texts = names[actor[1]] = (encode(actor[1]), escape(actor[1]))
        created_at = (at if at.tzinfo is dt.UTC else at.astimezone(dt.UTC)).isoformat()
        content = (
            f'{{"actor_id":{actor[0]},"actor_name":{actor_texts[0]},"chain":"{key}",'
            f'"created_at":"{created_at}","data":{data_json},'
            f'"object_id":"{object_id}","object_repr":{repr_json},'
            f'"object_type":"{object_type}","prev_hash":"{head[2]}","seq":{seq},"verb":"{verb}"}}'
        )
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        event_id = self.events.allocate()
        if self.lines:
            # JSON text holds no raw control characters (json escapes them), only backslashes to double
            data_text = data_json.replace("\\", "\\\\") if "\\" in data_json else data_json
            actor_id = NULL if actor[0] is None else actor[0]
            self.writer.add_line(self.events, (
                f"{event_id}\t{head[0]}\t{seq}\t{created_at}\t{actor_id}\t"
                f"{actor_texts[1]}\t{escape(verb)}\t{escape(object_type)}\t{escape(object_id)}\t"
                f"{escape(object_repr)}\t{data_text}\t{head[2]}\t{digest}\n"
            ))
        else:
            self.writer.add(self.events, self.events.row(
                id=event_id, chain_id=head[0], seq=seq, created_at=at, actor_id=actor[0], actor_name=actor[1],
                verb=verb, object_type=object_type, object_id=object_id, object_repr=object_repr,
                data=Json(data_json), prev_hash=head[2], hash=digest,
            ))
        head[1] = seq
        head[2] = digest
        self.count += 1
        return event_id

    def close_chains(self) -> None:
        """Write the heads of the chains opened since the last call (each chain is written once: a
        chain must be complete when its stage ends)."""
        for key in self.open:
            chain_id, length, head_hash = self.chains[key]
            self.writer.add(self.chain_table, self.chain_table.row(id=chain_id, key=key, length=length,
                                                                   head_hash=head_hash))
            del self.chains[key]
        self.open = []
