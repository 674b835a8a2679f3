"""Warning steps (预警变化记录): the changes of tasks' warning levels, projected from the event log into a
narrow table so that the warning trend chart (`dashboards.warnings_over_time`) reads a few integers and
dates per task instead of the events' JSON (a task's creation event carries the whole task; at province
scale the chart would read hundreds of megabytes of event data per request).

Rules:
- one `WarningStep` per event that sets a task's level: `task.created` / `task.rebound_created` (level
  `data["warning"]`, before "", dated by the event's local date) and `task.warning_changed` (levels
  `data["changes"]["warning"]`, dated by `data["on"]`); an event without a readable date has no step,
  as the chart skipped it before;
- the step is written by a `post_save` receiver of `Event`, so inside the transaction that records the
  event (`event_record_bulk` marks its `post_save` with `bulk=True` and then sends `events_bulk_recorded`
  for the batch, whose steps are inserted at once): every path that records such an event keeps the table;
- paths that insert events without `post_save` (fixtures loaded raw, the dataset generator's COPY) must
  call `warning_steps_rebuild()`, which recomputes the table from the event log;
  `warning_steps_from_events()` is what the table must equal (tests compare both);
- steps follow their task: the chart scopes them through the task (`task__in=…`), so a task moved to
  another plan, unit or region counts where it is now, as the event query did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import models, transaction
from django.db.models.fields.json import KT
from django.db.models.signals import post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhenggai.core.events import events_bulk_recorded
from zhenggai.core.models import Event

CREATED_VERBS = ("task.created", "task.rebound_created")
CHANGED_VERB = "task.warning_changed"
VERBS = (*CREATED_VERBS, CHANGED_VERB)


class WarningStep(models.Model):
    """One change of one task's warning level (or the level it was created with), from one event."""

    # no database constraints: a step must never make the write that records its event fail, nor stand in the
    # way of anything done to the log itself (a tampered log is verify-audit's to find, not a constraint's)
    event = models.OneToOneField(Event, on_delete=models.CASCADE, db_constraint=False, related_name="+",
                                 verbose_name=_("操作记录"))
    task = models.ForeignKey("rectification.Task", on_delete=models.CASCADE, db_constraint=False, related_name="+",
                             verbose_name=_("整改任务"))
    day = models.DateField(_("日期"))
    before = models.CharField(_("变化前"), max_length=16, blank=True)  # "" when the task was created
    after = models.CharField(_("变化后"), max_length=16, blank=True)

    class Meta:
        app_label = "reports"
        verbose_name = _("预警变化记录")
        verbose_name_plural = _("预警变化记录")

    def __str__(self) -> str:
        return f"{self.task_id} {self.day} {self.before or '—'}→{self.after}"


def as_date(value: Any) -> dt.date | None:
    """A date from a date, a datetime or an ISO text (its first ten characters); None when unreadable."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _level(value: Any) -> str:
    return "" if value is None else str(value)[:16]


def _step(*, event_id: int, verb: str, object_id: str, created_at: dt.datetime, warning: Any = None,
          on: Any = None, before: Any = None, after: Any = None, model: Any = None) -> Any:
    model = model or WarningStep
    if not str(object_id).isdigit():
        return None
    if verb in CREATED_VERBS:
        return model(event_id=event_id, task_id=int(object_id), day=timezone.localtime(created_at).date(),
                           before="", after=_level(warning))
    day = as_date(on) if on is not None else None
    if day is None:
        return None
    return model(event_id=event_id, task_id=int(object_id), day=day, before=_level(before), after=_level(after))


def warning_step_for(event: Event) -> WarningStep | None:
    """The step `event` makes (unsaved), or None when it sets no task's level."""
    if event.object_type != "task" or event.verb not in VERBS:
        return None
    data = event.data if isinstance(event.data, dict) else {}
    levels = ((data.get("changes") or {}).get("warning") or [None, None]) if event.verb == CHANGED_VERB else [None, None]
    levels = list(levels) + [None, None]
    return _step(event_id=event.pk, verb=event.verb, object_id=event.object_id, created_at=event.created_at,
                 warning=data.get("warning"), on=data.get("on"), before=levels[0], after=levels[1])


def _on_event(sender: type[Event], instance: Event, created: bool = False, raw: bool = False, **kwargs: Any) -> None:
    if raw or not created or kwargs.get("bulk"):  # events written in bulk: `_on_events` below
        return
    step = warning_step_for(instance)
    if step is not None:
        step.save(force_insert=True)


def _on_events(sender: type[Event], events: list[Event], **kwargs: Any) -> None:
    steps = [step for step in map(warning_step_for, events) if step is not None]
    WarningStep.objects.bulk_create(steps)


post_save.connect(_on_event, sender=Event, dispatch_uid="zhenggai.reports.warning_steps")
events_bulk_recorded.connect(_on_events, sender=Event, dispatch_uid="zhenggai.reports.warning_steps_bulk")


def _steps_from_events(*, event_model: Any = None, step_model: Any = None,
                        chunk_size: int = 5000) -> Iterator[WarningStep]:
    events = ((event_model or Event).objects.filter(object_type="task", verb__in=VERBS).order_by("pk")
              .annotate(warning=KT("data__warning"), on=KT("data__on"), before=KT("data__changes__warning__0"),
                        after=KT("data__changes__warning__1"))
              .values_list("pk", "verb", "object_id", "created_at", "warning", "on", "before", "after"))
    for pk, verb, object_id, created_at, warning, on, before, after in events.iterator(chunk_size=chunk_size):
        step = _step(event_id=pk, verb=verb, object_id=object_id, created_at=created_at, warning=warning, on=on,
                     before=before, after=after, model=step_model)
        if step is not None:
            yield step


def warning_steps_from_events() -> list[tuple[int, int, dt.date, str, str]]:
    """What the table must hold, recomputed from the event log: (event, task, day, before, after), by event."""
    return [(s.event_id, s.task_id, s.day, s.before, s.after) for s in _steps_from_events()]


def warning_steps_kept() -> list[tuple[int, int, dt.date, str, str]]:
    """What the table holds, in the form of `warning_steps_from_events`."""
    return list(WarningStep.objects.order_by("event_id").values_list("event_id", "task_id", "day", "before", "after"))


def warning_steps_rebuild(*, batch_size: int = 2000, event_model: Any = None, step_model: Any = None) -> int:
    """Recompute the table from the event log (after events were inserted without `post_save`);
    returns the number of steps. One transaction: readers see the old table or the new one. The
    models can be given (a migration passes its historical ones)."""
    step_model = step_model or WarningStep
    count = 0
    with transaction.atomic():
        step_model.objects.all().delete()
        batch: list[Any] = []
        for step in _steps_from_events(event_model=event_model, step_model=step_model):
            batch.append(step)
            if len(batch) >= batch_size:
                step_model.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        step_model.objects.bulk_create(batch)
        count += len(batch)
    return count
