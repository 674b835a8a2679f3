"""Bulletins generated in the background (django-q2): the request service, the job and the schedule.

- `bulletin_request` (the office, or the system actor) creates or re-queues the region's bulletin of a
  month and queues `bulletin_generate` after commit;
- `bulletin_generate` renders the PDF and the DOCX into the default storage and marks the row done (or
  failed, with the error); it is idempotent: running it twice stores the files once more, nothing else;
- `monthly_bulletins` (scheduled on the 1st of each month at 07:30) requests last month's bulletin for
  every region that has an office and tasks.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Region
from zhenggai.core.errors import PermissionDenied
from zhenggai.core.events import event_record

from .bulletin import bulletin_context, bulletin_pdf_bytes, bulletin_title, parse_month
from .models import Bulletin
from .selectors_documents import may_request_bulletin

log = logging.getLogger(__name__)

GENERATE = "zhenggai.reports.tasks.bulletin_generate"
SCHEDULE_NAME = "monthly-bulletins"
SCHEDULE_FUNC = "zhenggai.reports.tasks.monthly_bulletins"
SCHEDULE_AT = dt.time(7, 30)


def _enqueue(bulletin_id: int) -> None:
    from django_q.tasks import async_task

    async_task(GENERATE, bulletin_id, task_name=f"bulletin-{bulletin_id}")


def bulletin_request(*, actor: Any, region: Region, month: str | dt.date) -> Bulletin:
    """Queue the bulletin of `region` for `month` ("YYYY-MM"). Only the office of the region (or of a
    region above it) may; PermissionDenied otherwise. A month already requested is queued again and keeps
    its number; a new one takes the next number of its region and year. Writes `bulletin.requested`
    and queues the job after commit."""
    if not may_request_bulletin(actor, region):
        raise PermissionDenied(_("只有督察整改办可以生成调度通报。"))
    first = parse_month(month)
    with transaction.atomic():
        Region.objects.select_for_update().filter(pk=region.pk).first()  # numbers of one region one at a time
        bulletin = Bulletin.objects.select_for_update().filter(region=region, month=first).first()
        if bulletin is None:
            last = Bulletin.objects.filter(region=region, month__year=first.year).aggregate(n=Max("number"))["n"]
            number = (last or 0) + 1
            bulletin = Bulletin.objects.create(region=region, month=first, number=number, requested_by=actor,
                                               title=bulletin_title(region, first, number))
        else:
            bulletin.status, bulletin.error, bulletin.requested_by = Bulletin.Status.QUEUED, "", actor
            bulletin.save(update_fields=["status", "error", "requested_by"])
        event_record(actor=actor, verb="bulletin.requested", obj=bulletin,
                     data={"region": region.pk, "month": f"{first:%Y-%m}", "number": bulletin.number})
        pk = bulletin.pk
        transaction.on_commit(lambda: _enqueue(pk))
    return bulletin


def _assessment_rows(region: Any, month: dt.date) -> list[Any] | None:
    """The ranking of the latest computed assessment of the region that had started by the month's end
    (the assessment module's choice of period), or None when there is none."""
    import calendar

    from zhenggai.assessment.selectors import latest_assessment, ranking_rows

    month_end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    assessment = latest_assessment(region=region, on=month_end)
    return ranking_rows(assessment=assessment) if assessment is not None else None


def bulletin_generate(bulletin_id: int, on: dt.date | None = None) -> str:
    """The job: render both files of the bulletin and store them. Returns the new status."""
    from zhenggai.core.actors import system_actor

    bulletin = Bulletin.objects.select_related("region").filter(pk=bulletin_id).first()
    if bulletin is None:
        return "missing"
    try:
        from .bulletin_docx import bulletin_docx_bytes

        data = bulletin_context(region=bulletin.region, month=bulletin.month, number=bulletin.number, on=on,
                                assessment_rows=_assessment_rows(bulletin.region, bulletin.month))
        pdf, docx = bulletin_pdf_bytes(data), bulletin_docx_bytes(data)
    except Exception as error:  # noqa: BLE001 - any failure is recorded on the row for the office to see
        log.exception("bulletin %s failed", bulletin_id)
        Bulletin.objects.filter(pk=bulletin_id).update(status=Bulletin.Status.FAILED, error=str(error)[:2000])
        return Bulletin.Status.FAILED
    stem = f"bulletin-{bulletin.region.code}-{bulletin.month:%Y-%m}"
    old = [f.name for f in (bulletin.pdf, bulletin.docx) if f and f.name]
    with transaction.atomic():
        bulletin.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        bulletin.docx.save(f"{stem}.docx", ContentFile(docx), save=False)
        bulletin.title = data.title
        bulletin.status, bulletin.error, bulletin.generated_at = Bulletin.Status.DONE, "", timezone.now()
        bulletin.save(update_fields=["pdf", "docx", "title", "status", "error", "generated_at"])
        event_record(actor=system_actor(), verb="bulletin.generated", obj=bulletin,
                     data={"pdf": bulletin.pdf.name, "docx": bulletin.docx.name})
    for name in old:
        if name and name not in (bulletin.pdf.name, bulletin.docx.name):
            bulletin.pdf.storage.delete(name)
    return Bulletin.Status.DONE


def previous_month(on: dt.date) -> dt.date:
    return (on.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def monthly_bulletins(on: dt.date | None = None) -> int:
    """The schedule: request last month's bulletin in every region with an office and at least one task,
    unless it was requested already. Returns the number of bulletins requested now."""
    from zhenggai.core.actors import system_actor
    from zhenggai.rectification.models import Task
    from zhenggai.rectification.warnings import today

    month = previous_month(on or today())
    actor = system_actor()
    region_ids = Organization.objects.filter(kind=Organization.Kind.OFFICE, is_active=True).values("region_id")
    requested = 0
    for region in Region.objects.filter(pk__in=region_ids).order_by("path"):
        if Bulletin.objects.filter(region=region, month=month).exists():
            continue
        if not Task.objects.filter(region__path__startswith=region.path).exists():
            continue
        try:
            bulletin_request(actor=actor, region=region, month=month)
        except IntegrityError:
            continue  # another worker requested it a moment ago
        requested += 1
    return requested


def _next_first_of_month(at: dt.time, now: dt.datetime | None = None) -> dt.datetime:
    now = timezone.localtime(now or timezone.now())
    run = now.replace(day=1, hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if run <= now:
        run = (run + dt.timedelta(days=32)).replace(day=1)
    return run


def register_schedules() -> list[Any]:
    """Create (or correct) the monthly schedule, by name: on the 1st at 07:30, last month's bulletins."""
    from django_q.models import Schedule

    schedule, created = Schedule.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={"func": SCHEDULE_FUNC, "schedule_type": Schedule.MONTHLY, "repeats": -1,
                  "next_run": _next_first_of_month(SCHEDULE_AT)},
    )
    if not created and (schedule.func != SCHEDULE_FUNC or schedule.schedule_type != Schedule.MONTHLY):
        schedule.func, schedule.schedule_type, schedule.repeats = SCHEDULE_FUNC, Schedule.MONTHLY, -1
        schedule.next_run = _next_first_of_month(SCHEDULE_AT)
        schedule.save(update_fields=["func", "schedule_type", "repeats", "next_run"])
    return [schedule]
