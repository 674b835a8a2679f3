from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from zhenggai.rectification.models import DispatchRound
from zhenggai.rectification.rounds import report_approve, report_save_draft, report_submit, round_open

D = dt.date
# A Tuesday in March 2025; the round below is due on Friday.
TODAY = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def report_data(**changes):
    data = {"stage": "advancing", "description": "已完成管网排查 3 公里", "percent": 30, "next_steps": "继续排查"}
    data.update(changes)
    return data


@pytest.fixture
def travel():
    with time_machine.travel(TODAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def rnd(world, travel, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.MONTHLY,
                          period_start=D(2025, 3, 3), due_date=D(2025, 3, 7))


def approved_report(world, rnd, *, staff=None, head=None, task=None, **changes):
    """A report written by staff, submitted, approved by the head (all through the services)."""
    staff = staff or world.users.staff
    head = head or world.users.head
    report = report_save_draft(actor=staff, round=rnd, task=task or world.t_dept, data=report_data(**changes))
    report_submit(actor=staff, report=report)
    return report_approve(actor=head, report=report)


def jpeg_upload(name="after.jpg"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")
