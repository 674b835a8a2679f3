"""回头看: checks of closed tasks after closure. A rebound never reopens the closed task: it creates a
new task linked to it (source `rebound`), which counts against the unit in assessment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.core.errors import DomainError, PermissionDenied
from zhenggai.core.events import event_record
from zhenggai.portal.caching import public_data_changed

from .models import LookBack, Task
from .services import MeasureData, TaskData, task_create
from .transitions import _office_of, _privileged
from .workflow import DeadlineKind, TaskSource, TaskStatus


def lookback_schedule(*, actor: Any, task: Task, scheduled_date: dt.date) -> LookBack:
    """The office schedules a look-back of a closed task."""
    if not (_privileged(actor) or _office_of(actor, task)):
        raise PermissionDenied()
    if task.status != TaskStatus.CLOSED:
        raise DomainError(_("只有已销号的任务才能开展回头看。"))
    with transaction.atomic():
        look_back = LookBack.objects.create(task=task, scheduled_date=scheduled_date, created_by=actor)
        event_record(actor=actor, verb="lookback.scheduled", obj=task,
                     data={"lookback": look_back.pk, "date": scheduled_date})
    return look_back


def lookback_record(*, actor: Any, look_back: LookBack, result: str, notes: str,
                    rebound_deadline: dt.date | None = None) -> LookBack:
    """Record the result. `rebound` creates a new task in the same plan (next free number) with the same
    units, linked through `rebound_of`; the closed task stays closed."""
    if result not in LookBack.Result.values:
        raise DomainError(_("请选择回头看结果。"), field="result")
    if not notes.strip():
        raise DomainError(_("请填写核查情况。"), field="notes")
    with transaction.atomic():
        locked = LookBack.objects.select_for_update().select_related("task").get(pk=look_back.pk)
        task = locked.task
        if not (_privileged(actor) or _office_of(actor, task)):
            raise PermissionDenied()
        if locked.status == LookBack.Status.DONE:
            raise DomainError(_("该回头看已经记录结果。"))
        locked.status, locked.result, locked.notes = LookBack.Status.DONE, result, notes
        locked.checked_by, locked.done_at = actor, timezone.now()
        if result == LookBack.Result.REBOUND:
            locked.rebound_task = _rebound_task(actor, task, notes, rebound_deadline)
        locked.save()
        event_record(actor=actor, verb="lookback.recorded", obj=task,
                     data={"lookback": locked.pk, "result": result,
                           "rebound_task": locked.rebound_task_id})
    return locked


def _rebound_task(actor: Any, task: Task, notes: str, deadline: dt.date | None) -> Task:
    plan = task.plan
    number = (plan.tasks.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    units = list(task.implementing_units.all())
    deadline = deadline or (timezone.localdate() + dt.timedelta(days=90))
    data = TaskData(
        number=number,
        title=_("【反弹】%(title)s") % {"title": task.title},
        goal=task.goal,
        implementing_units=units,
        lead_unit=task.lead_unit,
        cooperating_units=list(task.cooperating_units.all()),
        responsible_leader=task.responsible_leader,
        acceptance_unit=task.acceptance_unit,
        deadline=deadline,
        deadline_text=f"{deadline:%Y年%-m月%-d日}",
        deadline_kind=DeadlineKind.BY_DATE,
        category=task.category,
        measure_area=task.measure_area,
        region=task.region,
        remarks=_("回头看发现问题反弹：%(notes)s") % {"notes": notes},
        is_sample=task.is_sample,
        measures=[MeasureData(number=1, text=_("针对反弹问题重新整改：%(notes)s") % {"notes": notes}, units=units,
                              deadline=deadline, deadline_text=f"{deadline:%Y年%-m月%-d日}")],
    )
    new = task_create(actor=actor, plan=plan, data=data, verb="task.rebound_created")
    Task.objects.filter(pk=new.pk).update(source=TaskSource.REBOUND, rebound_of=task)
    public_data_changed()  # an update() sends no signal: the portal's fingerprint must still move
    new.refresh_from_db()
    return new
