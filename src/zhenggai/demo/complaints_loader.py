"""Loads the 51 complaint cases of the Liangping inspection (`data_complaints`) through the real services,
as the system actor: the importer's batches, then for each case complaint_create → complaint_assign →
complaint_handle → complaint_submit → complaint_review, as far as the case's data says; the repeat pair
is linked; the batches whose cases are all approved are published (with past publication dates), and
one case published as 阶段性办结 is handled further, approved again and its public row refreshed."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhenggai.accounts.models import Organization, Region
from zhenggai.complaints.complaint_import import handover_batch_get_or_create
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.complaints.publication import batch_publish, complaint_republish
from zhenggai.complaints.services import (
    complaint_assign,
    complaint_create,
    complaint_handle,
    complaint_link_repeat,
    complaint_review,
    complaint_submit,
)
from zhenggai.complaints.types import split_pollution_types

from .data_complaints import BATCHES, CASES, UNPUBLISHED_BATCHES, Case

TRUTH = {"属实": "true", "基本属实": "mostly_true", "部分属实": "partly_true", "不属实": "false"}
SUBMITTED_STATES = ("approved", "submitted", "returned")


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _site_photo(name: str) -> SimpleUploadedFile:
    """A small generated photo: the on-site check behind a 不属实 conclusion."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 180), (90, 120, 90))
    draw = ImageDraw.Draw(image)
    for x in range(0, 240, 30):
        draw.line([(x, 0), (x + 60, 180)], fill=(220, 220, 220), width=2)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


class _ComplaintsLoader:
    def __init__(self, actor: Any, inspection: Any, say: Callable[[str], Any] | None) -> None:
        self.actor = actor
        self.inspection = inspection
        self.say = say or (lambda _message: None)
        region = inspection.target_region
        self.regions = {r.name: r for r in Region.objects.filter(path__startswith=region.path)}
        self.units = {o.name: o for o in Organization.objects.filter(region__path__startswith=region.path)}
        self.by_number: dict[str, Complaint] = {}

    def run(self) -> dict[str, Any]:
        self.say("督察交办的51件群众信访举报件：登记、交办、办理、审核、公开……")
        batches: dict[int, HandoverBatch] = {}
        for number, handed_over in BATCHES:
            batches[number], _created = handover_batch_get_or_create(
                actor=self.actor, inspection=self.inspection, number=number,
                handed_over=dt.date.fromisoformat(handed_over))
        sequence: dict[int, int] = {}
        for case in CASES:
            sequence[case.batch] = sequence.get(case.batch, 0) + 1
            self.by_number[case.number] = self.case(batches[case.batch], case, sequence[case.batch])
        for case in CASES:
            if case.repeat_of:
                complaint_link_repeat(actor=self.actor, complaint=self.by_number[case.number],
                                      other=self.by_number[case.repeat_of])
        published = 0
        for number, batch in batches.items():
            if number in UNPUBLISHED_BATCHES:
                continue
            batch_publish(actor=self.actor, batch=batch, at=_at(self.publication_day(number)))
            published += 1
        for case in CASES:
            if case.later:
                self.continue_handling(case)
        return {"complaints": len(CASES), "batches": len(batches), "published_batches": published}

    def publication_day(self, batch_number: int) -> dt.date:
        """Two days after the last case of the batch was handled."""
        handed = dict(BATCHES)[batch_number]
        days = [_date(c.done_on) or _date(handed) for c in CASES if c.batch == batch_number]
        return max(d for d in days if d is not None) + dt.timedelta(days=2)

    def case(self, batch: HandoverBatch, case: Case, sequence: int) -> Complaint:
        types, subtypes, unknown = split_pollution_types(case.pollution)
        if unknown:
            raise ValueError(f"演示数据中的污染类型无法识别：{case.number} {unknown}")
        name, contact, id_number = case.complainant
        complaint = complaint_create(actor=self.actor, batch=batch, data={
            "acceptance_number": case.number, "sequence": sequence, "summary": case.summary,
            "region": self.regions.get(case.township), "region_text": case.township,
            "pollution_types": types, "pollution_subtypes": subtypes, "pollution_text": case.pollution,
            "complainant": {"name": name, "contact": contact, "id_number": id_number}, "is_sample": True,
        })
        complaint = complaint_assign(actor=self.actor, complaint=complaint, lead_unit=self.units[case.lead],
                                     cooperating_units=[self.units[n] for n in case.cooperating])
        if case.status == "received":
            return complaint
        files = [_site_photo(f"{case.number}-现场核查.jpg")] if case.truth == "不属实" else []
        complaint = complaint_handle(actor=self.actor, complaint=complaint, data=self.result(case), files=files,
                                     evidence_category="other")
        if case.review not in SUBMITTED_STATES:
            return complaint
        complaint = complaint_submit(actor=self.actor, complaint=complaint)
        if case.returned_once and case.review == "approved":
            complaint = complaint_review(actor=self.actor, complaint=complaint, approve=False, note=case.returned_once)
            complaint = complaint_handle(actor=self.actor, complaint=complaint,
                                         data={"remarks": "已按审核意见补充完善。"})
            complaint = complaint_submit(actor=self.actor, complaint=complaint)
        if case.review == "approved":
            complaint = complaint_review(actor=self.actor, complaint=complaint, approve=True)
        elif case.review == "returned":
            complaint = complaint_review(actor=self.actor, complaint=complaint, approve=False,
                                         note=case.returned_once)
        return complaint

    @staticmethod
    def result(case: Case) -> dict[str, Any]:
        data: dict[str, Any] = {"investigation": case.investigation, "handling": case.handling,
                                "status": case.status, **case.counters}
        if case.truth:
            data["truthfulness"] = TRUTH[case.truth]
            data["accountability"] = case.accountability
        if case.done_on and case.status == "done":
            data["done_at"] = _date(case.done_on)
        return data

    def continue_handling(self, case: Case) -> None:
        """持续整改: the case goes on after publication; approved again, its public row is refreshed."""
        complaint = self.by_number[case.number]
        later = case.later
        data = {"status": later["status"], "handling": later["handling"]}
        if later.get("done_on"):
            data["done_at"] = _date(later["done_on"])
        complaint = complaint_handle(actor=self.actor, complaint=complaint, data=data)
        complaint = complaint_submit(actor=self.actor, complaint=complaint)
        complaint = complaint_review(actor=self.actor, complaint=complaint, approve=True)
        day = (_date(later.get("done_on", "")) or timezone.localdate()) + dt.timedelta(days=3)
        complaint_republish(actor=self.actor, complaint=complaint, at=_at(day))


def load_complaints(*, actor: Any, inspection: Any, say: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """Load the demo's complaint cases into `inspection` (the Liangping one). Call inside the demo's
    transaction, after the regions and units exist. Returns counts."""
    return _ComplaintsLoader(actor, inspection, say).run()
