"""The portal's latest updates — notices opened, tasks closed, progress published, complaint batches
published — for the home page and the Atom feed. Public facts only (see `selectors`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.complaints.publication import published_batches, published_complaints
from zhenggai.complaints.redaction import mask_text
from zhenggai.rectification.models import ProgressReport, Task
from zhenggai.rectification.workflow import TaskStatus

from .selectors import closure_times, public_notices


@dataclass
class Update:
    key: str  # stable and unique: the Atom entry's id
    kind: str  # notice | closed | progress | batch
    when: dt.datetime
    title: str
    path: str
    summary: str = ""

    @property
    def kind_label(self) -> str:
        return {"notice": _("销号公示"), "closed": _("任务销号"), "progress": _("整改进展"),
                "batch": _("信访件办理情况")}.get(self.kind, self.kind)


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _task_label(task: Task) -> str:
    return _("第%(n)s项 %(title)s") % {"n": task.number, "title": task.short_title}


def latest_updates(limit: int = 30) -> list[Update]:
    """The `limit` latest public updates, newest first; a fixed number of queries."""
    found: list[Update] = []
    for notice in public_notices().filter(task__plan__published_date__isnull=False)[:limit]:
        found.append(Update(
            key=f"notice-{notice.pk}", kind="notice", when=_midnight(notice.start_date),
            title=_("销号公示：%(task)s") % {"task": _task_label(notice.task)},
            path=reverse("portal:notice_detail", args=[notice.pk]),
            summary=_("公示期：%(start)s至%(end)s") % {"start": f"{notice.start_date:%Y-%m-%d}",
                                                   "end": f"{notice.end_date:%Y-%m-%d}"}))
    closed_tasks = {t.pk: t for t in Task.objects.filter(status=TaskStatus.CLOSED, plan__published_date__isnull=False)}
    closures = sorted(closure_times(closed_tasks).items(), key=lambda item: item[1], reverse=True)[:limit]
    for pk, when in closures:
        task = closed_tasks[pk]
        found.append(Update(key=f"closed-{pk}", kind="closed", when=when,
                            title=_("已销号：%(task)s") % {"task": _task_label(task)},
                            path=reverse("portal:task_detail", args=[pk])))
    reports = (ProgressReport.objects.filter(status=ProgressReport.Status.APPROVED, approved_at__isnull=False,
                                             task__plan__published_date__isnull=False)
               .select_related("task", "unit").order_by("-approved_at", "-pk")[:limit])
    for r in reports:
        found.append(Update(
            key=f"progress-{r.pk}", kind="progress", when=r.approved_at,  # type: ignore[arg-type]
            title=_("整改进展：%(task)s（%(percent)s%%）") % {"task": _task_label(r.task), "percent": r.percent},
            path=reverse("portal:task_detail", args=[r.task_id]), summary=mask_text(r.description)))
    counts: dict[int, int] = {}
    for batch_id in published_complaints().values_list("batch_id", flat=True):
        counts[batch_id] = counts.get(batch_id, 0) + 1
    for batch in sorted(published_batches(), key=lambda b: b.published_at, reverse=True)[:limit]:
        found.append(Update(
            key=f"batch-{batch.pk}", kind="batch", when=batch.published_at,  # type: ignore[arg-type]
            title=_("第%(n)s批群众信访举报件办理情况公开（%(count)s件）") % {"n": batch.number,
                                                              "count": counts.get(batch.pk, 0)},
            path=reverse("portal_batch", args=[batch.pk])))
    found.sort(key=lambda u: (u.when, u.key), reverse=True)
    return found[:limit]
