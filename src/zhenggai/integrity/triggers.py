"""Checks run after the changes they look at: a progress report submitted or approved, evidence uploaded,
acceptance applied for, a task closed, a complaint handled… — whatever verbs each check lists in its
`triggers`.

How: every recorded `Event` (post_save, inside the changing transaction) whose verb some check listens to
adds its task or complaint (the event's object, else its chain's aggregate) to a batch of the running
transaction. After the commit the batch is queued as one django-q2 job (`jobs.run_triggered`), which runs
each check over the tasks and complaints of the verbs it listens to, as the system actor. So the user's
action never waits for the checks and never fails because of them (the job logs a failing check); in sync
mode (tests) the job runs at once. A rolled-back transaction queues nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_save

from zhenggai.core.models import Event

log = logging.getLogger(__name__)

RUN_TRIGGERED = "zhenggai.integrity.jobs.run_triggered"
_local = threading.local()


def _registry() -> dict[str, Any]:
    """The checks: their modules are imported once per process (checks registered later, e.g. by tests,
    are in the same registry)."""
    from .checks import CHECKS, load_all

    if not getattr(_registry, "loaded", False):
        load_all()
        _registry.loaded = True  # type: ignore[attr-defined]
    return CHECKS


def trigger_verbs() -> dict[str, list[str]]:
    """verb → the codes of the checks it triggers."""
    verbs: dict[str, list[str]] = {}
    for code, check in sorted(_registry().items()):
        for verb in check.triggers:
            verbs.setdefault(verb, []).append(code)
    return verbs


class _Batch:
    """The tasks and complaints touched by trigger events of one transaction, per verb."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[set[int], set[int]]] = {}

    def add(self, verb: str, task_id: int | None, complaint_id: int | None) -> None:
        tasks, complaints = self.items.setdefault(verb, (set(), set()))
        if task_id is not None:
            tasks.add(task_id)
        if complaint_id is not None:
            complaints.add(complaint_id)

    def flush(self) -> None:
        items, self.items = self.items, {}
        if not items:
            return
        payload = scopes_for(items)
        if not payload:
            return
        try:
            from django_q.tasks import async_task

            async_task(RUN_TRIGGERED, payload, task_name=None)
        except Exception:  # the nightly run finds it anyway
            log.warning("could not queue the integrity checks for %s; the nightly run will cover them", payload,
                        exc_info=True)


class _Flush:
    """The on-commit callback of one trigger event; all callbacks of a transaction share its batch, so the
    first to run queues one job for all of them."""

    def __init__(self, batch: _Batch) -> None:
        self.batch = batch

    def __call__(self) -> None:
        self.batch.flush()


def scopes_for(items: dict[str, tuple[set[int], set[int]]]) -> dict[str, dict[str, list[int]]]:
    """check code → {"tasks": [...], "complaints": [...]}: what each check must look at."""
    verbs = trigger_verbs()
    scopes: dict[str, tuple[set[int], set[int]]] = {}
    for verb, (tasks, complaints) in items.items():
        for code in verbs.get(verb, []):
            scope = scopes.setdefault(code, (set(), set()))
            scope[0].update(tasks)
            scope[1].update(complaints)
    return {code: {"tasks": sorted(t), "complaints": sorted(c)} for code, (t, c) in sorted(scopes.items())
            if t or c}


def _current_batch() -> _Batch:
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    batch = getattr(connection, "_integrity_batch", None)
    # the batch lives as long as one of its callbacks is still waiting for this transaction's commit
    if batch is not None and any(isinstance(func, _Flush) and func.batch is batch
                                 for _sids, func, _robust in connection.run_on_commit):
        return batch
    batch = _Batch()
    connection._integrity_batch = batch  # type: ignore[attr-defined]
    return batch


def discard_pending() -> None:
    """Drop what the running transaction would queue after its commit (a bulk load that has just run the
    checks over everything itself)."""
    connection = transaction.get_connection(DEFAULT_DB_ALIAS)
    batch = getattr(connection, "_integrity_batch", None)
    if batch is not None:
        batch.items = {}


def aggregate_of(event: Event) -> tuple[int | None, int | None]:
    """(task id, complaint id) the event is about: its object when that is a task or complaint, else the
    aggregate of its chain ("task:42", "complaint:7")."""
    for kind, ident in ((event.object_type, event.object_id), tuple(event.chain.key.partition(":")[::2])):
        if kind in ("task", "complaint") and str(ident).isdigit():
            return (int(ident), None) if kind == "task" else (None, int(ident))
    return None, None


@contextmanager
def paused() -> Iterator[None]:
    """No trigger in this thread while the block runs (bulk loads that run the checks themselves)."""
    before = getattr(_local, "paused", False)
    _local.paused = True
    try:
        yield
    finally:
        _local.paused = before


def on_event(sender: Any, instance: Event, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created or getattr(_local, "paused", False):
        return
    try:
        if instance.verb not in trigger_verbs():
            return
        task_id, complaint_id = aggregate_of(instance)
        if task_id is None and complaint_id is None:
            return
        batch = _current_batch()
        batch.add(instance.verb, task_id, complaint_id)
        transaction.on_commit(_Flush(batch), robust=True)
    except Exception:  # never break the change that recorded the event
        log.exception("integrity trigger failed for event %s", instance.verb)


def connect() -> None:
    post_save.connect(on_event, sender=Event, dispatch_uid="zhenggai.integrity.triggers")
