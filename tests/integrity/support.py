"""Shared code for the tests of the checks: photos with EXIF, uploads through the evidence service, rounds and
reports, and running one check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from bench.integrity import jpeg, scene
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from zhenggai.evidence.models import Evidence
from zhenggai.evidence.services import evidence_create, evidence_store
from zhenggai.integrity.checks import Finding, Scope, load_all
from zhenggai.rectification.models import DispatchRound, ProgressReport


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(year, month, day, hour))


def photo(seed: int, *, captured: dt.datetime | None = None, gps: tuple[float, float] | None = None,
          size: tuple[int, int] = (320, 240)) -> bytes:
    return jpeg(scene(seed, size), captured=captured, gps=gps)


def upload(user: Any, data: bytes, *, task: Any = None, complaint: Any = None, category: str = "after_photo",
           name: str = "现场照片.jpg", uploaded: dt.datetime | None = None,
           content_type: str = "image/jpeg") -> Evidence:
    """Store a file through the evidence services (as a page would) and, when given, date its upload."""
    file = SimpleUploadedFile(name, data, content_type=content_type)
    if task is not None:
        evidence = evidence_create(actor=user, task=task, file=file, category=category)
    else:
        with transaction.atomic():
            evidence = evidence_store(actor=user, files=[file], category=category, written=[], complaint=complaint)[0]
    if uploaded is not None:
        Evidence.objects.filter(pk=evidence.pk).update(uploaded_at=uploaded)
        evidence.refresh_from_db()
    return evidence


def dispatch_round(world: Any, month: dt.date) -> DispatchRound:
    return DispatchRound.objects.create(title=f"{month.year}年{month.month}月调度", region=world.district,
                                        plan=world.plan, period_start=month, due_date=month + dt.timedelta(days=7),
                                        opened_by=world.users.office)


def report(round_: DispatchRound, task: Any, unit: Any, user: Any, text: str, *, percent: int = 50,
           sent: dt.datetime | None = None, evidence: Iterable[Evidence] = (),
           status: str = ProgressReport.Status.APPROVED) -> ProgressReport:
    sent = sent or timezone.make_aware(dt.datetime.combine(round_.due_date, dt.time(9)))
    made = ProgressReport.objects.create(round=round_, task=task, unit=unit, status=status, description=text,
                                         percent=percent, drafted_by=user, approved_by=user, submitted_at=sent,
                                         approved_at=sent)
    made.evidence.set(list(evidence))
    return made


def run(code: str, scope: Scope | None = None) -> list[Finding]:
    return list(load_all()[code](scope or Scope()))


def keys(code: str, scope: Scope | None = None) -> set[str]:
    return {finding.key for finding in run(code, scope)}
