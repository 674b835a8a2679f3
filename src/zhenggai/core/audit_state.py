"""Tamper evidence for the current state of key records.

The event chains prove that no event was changed or removed; this module proves that the records the
events describe were not changed behind the services' back (an UPDATE in a database console, a script
using `queryset.update`). For each key model `STATE_FIELDS` names the fields whose stored value must be
the value the last event recorded.

How it is recorded: `event_record` calls `state_for_event(obj)`, which returns, for `obj` and for every
key record saved in this thread since the previous event (services save the report, then write the
event on the task's chain), a digest per field (first 32 hex digits of SHA-256 over the value's
canonical JSON), read back from the database inside the changing transaction. The digests go into the
event's `data["state"]` and so are covered by the event's hash.

How it is checked: `state_verify()` takes, for every record, the digests of the latest event that
carries them and compares them with digests of the stored values; each differing record is reported
with the names of the differing fields. Records no event has described yet (created before this check
existed, or bulk-loaded) are reported as unregistered, which `verify-audit` shows only with `--strict`.
`evidence_files_verify()` recomputes each evidence file's SHA-256 from storage.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import post_save
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# model label → the fields whose current value must match the last event. Derived and housekeeping
# fields (warning colours, search text, timestamps) are left out: they change without an event.
STATE_FIELDS: dict[str, tuple[str, ...]] = {
    "rectification.Task": (
        "plan_id", "number", "title", "goal", "lead_unit_id", "responsible_leader", "acceptance_unit_id",
        "deadline", "deadline_text", "deadline_kind", "due_year", "category", "measure_area_id", "region_id",
        "status", "remarks", "version",
    ),
    "rectification.ProgressReport": (
        "task_id", "unit_id", "round_id", "status", "stage", "description", "percent", "next_steps",
        "approved_by_id", "return_reason",
    ),
    "rectification.AcceptanceApplication": ("task_id", "unit_id", "applied_by_id", "statement", "self_check", "status"),
    "rectification.AcceptanceReview": (
        "application_id", "reviewer_id", "decision", "reasons", "check_date", "check_people", "check_findings",
        "criteria",
    ),
    "rectification.PublicNotice": (
        "task_id", "application_id", "start_date", "working_days", "end_date", "summary", "result", "status",
    ),
    "complaints.Complaint": (
        "acceptance_number", "summary", "lead_unit_id", "reply_deadline", "status", "review_status", "review_note",
        "investigation", "truthfulness", "handling_goal", "handling", "accountability", "remarks", "done_at",
        "ordered_rectify", "penalized", "fine_amount", "investigated", "admin_detained", "criminal_detained",
        "interviewed", "held_accountable", "leads_transferred", "merged_into_id", "repeat_of_id", "version",
    ),
    "evidence.Evidence": (
        "task_id", "complaint_id", "category", "file", "original_name", "size", "sha256", "is_public",
    ),
}

# how a record is named in the report ("任务 #12 …")
STATE_LABELS: dict[str, Any] = {
    "rectification.Task": gettext_lazy("任务"),
    "rectification.ProgressReport": gettext_lazy("整改进展"),
    "rectification.AcceptanceApplication": gettext_lazy("验收申请"),
    "rectification.AcceptanceReview": gettext_lazy("验收意见"),
    "rectification.PublicNotice": gettext_lazy("销号公示"),
    "complaints.Complaint": gettext_lazy("信访件"),
    "evidence.Evidence": gettext_lazy("佐证材料"),
}

DIGEST_LENGTH = 32

_local = threading.local()


def _pending() -> set[tuple[str, Any]]:
    if not hasattr(_local, "pending"):
        _local.pending = set()
    return _local.pending  # type: ignore[no-any-return]


def _on_save(sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    if raw:  # fixtures and restores: not a change through the services
        return
    label = sender._meta.label
    if label in STATE_FIELDS and instance.pk is not None:
        _pending().add((label, instance.pk))


post_save.connect(_on_save, dispatch_uid="zhenggai.core.audit_state")


def state_touched(obj: models.Model | type[models.Model], pk: Any = None) -> None:
    """Mark a key record written without `save()` (e.g. `queryset.update`) as changed, so that the next
    event recorded in this thread stores its new state: `state_touched(review)` or
    `state_touched(PublicNotice, notice_id)`. Call it in the changing transaction, before its event."""
    pk = obj.pk if isinstance(obj, models.Model) else pk
    if obj._meta.label in STATE_FIELDS and pk is not None:
        _pending().add((obj._meta.label, pk))


def _canonical(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def field_digest(value: Any) -> str:
    if isinstance(value, models.fields.files.FieldFile):
        value = value.name
    return hashlib.sha256(_canonical(value).encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def record_key(model: type[models.Model], pk: Any) -> str:
    """The key of a record in `data["state"]`: the same `<model_name>:<pk>` as a chain key."""
    return f"{model._meta.model_name}:{pk}"


def _digests(label: str, pks: set[Any]) -> dict[str, dict[str, str]]:
    model = apps.get_model(label)
    fields = STATE_FIELDS[label]
    rows = model._default_manager.filter(pk__in=pks).values("pk", *fields)
    return {record_key(model, row["pk"]): {f: field_digest(row[f]) for f in fields} for row in rows}


def state_for_event(obj: models.Model) -> dict[str, dict[str, str]]:
    """The digests to store in the event about `obj`: `obj` itself when it is a key record, and every
    key record saved in this thread since the last event. Reads the rows back (one query per model)."""
    wanted: dict[str, set[Any]] = {}
    pending = _pending()
    if obj._meta.label in STATE_FIELDS and obj.pk is not None:
        pending.add((obj._meta.label, obj.pk))
    for label, pk in pending:
        wanted.setdefault(label, set()).add(pk)
    pending.clear()
    state: dict[str, dict[str, str]] = {}
    for label, pks in sorted(wanted.items()):
        state.update(_digests(label, pks))
    return state


def states_for_events(objs: list[models.Model]) -> list[dict[str, dict[str, str]]]:
    """`state_for_event` for many events written at once (one per object, in order; see
    `core.events.event_record_bulk`): each event gets its own object's digests, and the first one also
    those of every key record saved in this thread since the last event. One query per model."""
    wanted: dict[str, set[Any]] = {}
    pending = set(_pending())
    _pending().clear()
    for label, pk in pending:
        wanted.setdefault(label, set()).add(pk)
    for obj in objs:
        if obj._meta.label in STATE_FIELDS and obj.pk is not None:
            wanted.setdefault(obj._meta.label, set()).add(obj.pk)
    digests: dict[str, dict[str, str]] = {}
    for label, pks in sorted(wanted.items()):
        digests.update(_digests(label, pks))
    earlier = {key: digests[key] for key in (record_key(apps.get_model(label), pk) for label, pk in pending)
               if key in digests}
    states: list[dict[str, dict[str, str]]] = []
    for index, obj in enumerate(objs):
        own = record_key(type(obj), obj.pk)
        state = dict(earlier) if index == 0 else {}
        if obj._meta.label in STATE_FIELDS and own in digests:
            state[own] = digests[own]
        states.append(state)
    return states


@dataclass(frozen=True)
class StateProblem:
    label: str  # model label, e.g. "rectification.Task"
    pk: Any
    fields: tuple[str, ...]  # differing fields; empty for an unregistered record
    registered: bool

    def message(self) -> str:
        name = STATE_LABELS.get(self.label, self.label)
        if not self.registered:
            return _("%(name)s #%(pk)s 未登记：还没有记录其状态的操作记录") % {"name": name, "pk": self.pk}
        return _("%(name)s #%(pk)s 的当前状态与最后一条操作记录不符（字段：%(fields)s）") % {
            "name": name, "pk": self.pk, "fields": "、".join(self.fields),
        }


def recorded_states(*, chunk_size: int = 2000) -> dict[str, dict[str, str]]:
    """For every record described so far, the digests of the latest event that carries them."""
    from .models import Event

    latest: dict[str, dict[str, str]] = {}
    rows = (
        Event.objects.filter(data__has_key="state").order_by("id").values_list("data__state", flat=True)
        .iterator(chunk_size=chunk_size)
    )
    for state in rows:
        if isinstance(state, str):  # some backends hand back the JSON text of a key transform
            state = json.loads(state)
        if isinstance(state, dict):
            latest.update(state)
    return latest


def state_verify(*, chunk_size: int = 2000) -> Iterator[StateProblem]:
    """Compare every key record with the digests of its latest event; yield each differing record and
    each record no event has described (registered=False)."""
    recorded = recorded_states(chunk_size=chunk_size)
    for label, fields in STATE_FIELDS.items():
        model = apps.get_model(label)
        rows = model._default_manager.order_by("pk").values("pk", *fields).iterator(chunk_size=chunk_size)
        for row in rows:
            expected = recorded.get(record_key(model, row["pk"]))
            if expected is None:
                yield StateProblem(label, row["pk"], (), registered=False)
                continue
            differing = tuple(f for f in fields if expected.get(f) != field_digest(row[f]))
            if differing:
                yield StateProblem(label, row["pk"], differing, registered=True)


@dataclass(frozen=True)
class FileProblem:
    pk: int
    name: str
    reason: str

    def message(self) -> str:
        return _("佐证材料 #%(pk)s（%(name)s）的文件%(reason)s") % {"pk": self.pk, "name": self.name, "reason": self.reason}


def evidence_files_verify(*, chunk_size: int = 500) -> Iterator[FileProblem]:
    """Recompute the SHA-256 of every stored evidence file and compare it with the recorded one."""
    evidence_model = apps.get_model("evidence.Evidence")
    rows = evidence_model._default_manager.order_by("pk").only("pk", "file", "sha256", "original_name")
    for evidence in rows.iterator(chunk_size=chunk_size):
        digest = hashlib.sha256()
        try:
            with evidence.file.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
        except (FileNotFoundError, OSError, ValueError):
            yield FileProblem(evidence.pk, evidence.original_name, _("已丢失"))
            continue
        if digest.hexdigest() != evidence.sha256:
            yield FileProblem(evidence.pk, evidence.original_name, _("内容已被改动（SHA-256 不符）"))
