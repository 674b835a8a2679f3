"""Complaint services: registration, assignment, handling (rights, 不属实 needs evidence, done date),
submission and review, look-backs, warnings in working days and the idempotent daily reminder."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.evidence import samples as s
from zhenggai.complaints.models import Complainant, Complaint, ComplaintStatus, HandoverBatch, ReviewStatus
from zhenggai.complaints.services import (
    complaint_assign,
    complaint_create,
    complaint_evidence_create,
    complaint_handle,
    complaint_lookback_record,
    complaint_lookback_schedule,
    complaint_review,
    complaint_submit,
    complaint_warning,
    complaints_remind,
    register_schedules,
)
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence
from zhenggai.evidence.services import EvidenceRefused
from zhenggai.notifications.models import Notification

from .conftest import HANDED_OVER, make_batch, make_complaint

D = dt.date
RESULT = {"investigation": "经现场核查，该厂夜间生产时废气收集设施未开启。", "truthfulness": "true",
          "handling": "已责令整改，立案处罚。", "status": "done", "ordered_rectify": 1, "penalized": 1,
          "fine_amount": "50000"}


def events(complaint, verb=None):
    qs = Event.objects.filter(chain__key=f"complaint:{complaint.pk}").order_by("seq")
    return list(qs.filter(verb=verb) if verb else qs)


# ------------------------------------------------------------------------------------ registration


def test_create_parses_the_acceptance_code_sets_the_deadline_and_keeps_the_complainant_apart(cw):
    c = cw.town
    assert c.acceptance_number == "D3CQ202506030001" and c.is_priority
    assert (c.channel, c.number_round, c.number_province, c.received_date, c.number_serial) == (
        "D", "3", "CQ", D(2025, 6, 3), "0001")
    assert c.reply_deadline == HANDED_OVER + dt.timedelta(days=10)
    assert c.status == ComplaintStatus.RECEIVED and c.review_status == ReviewStatus.DRAFT
    assert Complainant.objects.get(complaint=c).contact == "13812345678"
    created = events(c, "complaint.created")
    assert len(created) == 1 and "13812345678" not in str(created[0].data) and "张三丰" not in str(created[0].data)
    # the lead unit's staff and head were told
    assert set(Notification.objects.filter(key=f"complaint-assigned:{c.pk}:{cw.world.town.pk}")
               .values_list("user__username", flat=True)) == {"staff2", "head2"}


def test_reply_days_of_the_batch_set_the_deadline(world):
    batch = make_batch(world, number=2, reply_days=15)
    c = make_complaint(world, batch, "某区2025-01号", "河道漂浮垃圾")
    assert c.reply_deadline == HANDED_OVER + dt.timedelta(days=15)
    assert c.channel == "" and not c.is_priority


@pytest.mark.parametrize("user", ["staff", "head2", "leader", "other_office"])
def test_only_the_office_of_the_region_registers(world, user):
    batch = make_batch(world)
    with pytest.raises(PermissionDenied):
        complaint_create(actor=getattr(world.users, user), batch=batch,
                         data={"acceptance_number": "X1", "summary": "某厂噪声"})
    assert not Complaint.objects.exists()


def test_a_case_registers_once_per_inspection(cw):
    with pytest.raises(ValidationFailed) as error:
        make_complaint(cw.world, cw.batch, "D3CQ202506030001", "重复登记")
    assert "已经登记" in str(error.value.message)


# -------------------------------------------------------------------------------------- assignment


def test_office_reassigns_and_the_new_lead_unit_is_told(cw, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint_assign(actor=cw.users.office, complaint=cw.town, lead_unit=cw.world.dept,
                         cooperating_units=[cw.world.town, cw.world.dept])
    cw.town.refresh_from_db()
    assert cw.town.lead_unit == cw.world.dept
    assert list(cw.town.cooperating_units.all()) == [cw.world.town]  # the lead unit is not also cooperating
    assert events(cw.town, "complaint.assigned")[0].data["changes"]["lead_unit"] == [cw.world.town.pk, cw.world.dept.pk]
    assert Notification.objects.filter(user=cw.users.head, key__startswith=f"complaint-assigned:{cw.town.pk}:").exists()


def test_units_do_not_assign(cw):
    with pytest.raises(PermissionDenied):
        complaint_assign(actor=cw.users.head2, complaint=cw.town, lead_unit=cw.world.dept)
    with pytest.raises(NotFound):
        complaint_assign(actor=cw.users.unrelated, complaint=cw.town, lead_unit=cw.world.unrelated)


# ---------------------------------------------------------------------------------------- handling


def test_lead_unit_records_the_result_and_done_sets_the_date(cw):
    c = complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={**RESULT, "done_at": D(2025, 6, 10)})
    assert c.status == ComplaintStatus.DONE and c.done_at == D(2025, 6, 10)
    assert c.truthfulness == "true" and c.fine_amount == Decimal("50000.00") and c.penalized == 1
    handled = events(c, "complaint.handled")[0]
    assert handled.actor == cw.users.staff2 and handled.data["changes"]["status"] == ["received", "done"]
    c = complaint_handle(actor=cw.users.staff2, complaint=c, data={"status": "阶段性办结"})
    assert c.status == ComplaintStatus.STAGE_DONE and c.done_at is None


def test_first_handling_starts_the_investigation(cw):
    c = complaint_handle(actor=cw.users.head2, complaint=cw.town, data={"investigation": "已到现场核查"})
    assert c.status == ComplaintStatus.INVESTIGATING


def test_done_without_a_date_is_done_today(cw, time_machine):
    time_machine.move_to(dt.datetime(2025, 6, 9, 10, 0))
    c = complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"status": "done"})
    assert c.done_at == D(2025, 6, 9)


def test_other_units_may_not_handle(cw):
    with pytest.raises(NotFound):  # the department does not see the township's case
        complaint_handle(actor=cw.users.staff, complaint=cw.town, data=RESULT)
    with pytest.raises(NotFound):
        complaint_handle(actor=cw.users.unrelated, complaint=cw.town, data=RESULT)
    with pytest.raises(PermissionDenied):  # the cooperating township reads but does not write
        complaint_handle(actor=cw.users.staff2, complaint=cw.coop, data=RESULT)
    with pytest.raises(PermissionDenied):  # read-only roles
        complaint_handle(actor=cw.users.leader, complaint=cw.town, data=RESULT)
    cw.town.refresh_from_db()
    assert cw.town.investigation == "" and not events(cw.town, "complaint.handled")


@pytest.mark.parametrize(("field", "value"), [("penalized", -1), ("fine_amount", "abc"), ("interviewed", "1.5"),
                                              ("truthfulness", "大概属实"), ("status", "received")])
def test_bad_values_are_refused(cw, field, value):
    with pytest.raises(ValidationFailed) as error:
        complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={field: value})
    assert error.value.field == field


def test_false_conclusion_needs_evidence(cw):
    with pytest.raises(ValidationFailed) as error:
        complaint_handle(actor=cw.users.staff2, complaint=cw.town,
                         data={"investigation": "现场未发现排放", "truthfulness": "不属实"})
    assert "不属实" in str(error.value.message) and "佐证材料" in str(error.value.message)
    cw.town.refresh_from_db()
    assert cw.town.truthfulness == ""
    c = complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"truthfulness": "不属实"},
                         files=[s.upload("现场照片.jpg", s.jpeg())])
    assert c.truthfulness == "false"
    evidence = Evidence.objects.get(complaint=c)
    assert evidence.task is None and evidence.organization == cw.world.town and evidence.thumbnail
    assert events(c, "evidence.uploaded")[0].data["evidence"] == evidence.pk


def test_evidence_goes_through_the_file_checks(cw):
    with pytest.raises(EvidenceRefused) as error:
        complaint_evidence_create(actor=cw.users.staff2, complaint=cw.town, category="statement",
                                  files=[s.upload("说明.pdf", s.pdf()), s.upload("页面.html", b"<html><script>x</script>")])
    assert any("页面.html" in m for m in error.value.messages)
    assert not Evidence.objects.exists()
    stored = complaint_evidence_create(actor=cw.users.staff2, complaint=cw.town, category="statement",
                                       files=[s.upload("说明.pdf", s.pdf())])
    assert stored[0].content_type == "application/pdf" and stored[0].complaint == cw.town
    with pytest.raises(PermissionDenied):
        complaint_evidence_create(actor=cw.users.staff2, complaint=cw.coop, category="statement",
                                  files=[s.upload("说明.pdf", s.pdf())])


# ------------------------------------------------------------------------------------------ review


def test_submit_and_review(cw, django_capture_on_commit_callbacks):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data=RESULT)
    with pytest.raises(PermissionDenied):  # only the unit head submits
        complaint_submit(actor=cw.users.staff2, complaint=cw.town)
    with django_capture_on_commit_callbacks(execute=True):
        c = complaint_submit(actor=cw.users.head2, complaint=cw.town)
    assert c.review_status == ReviewStatus.SUBMITTED
    assert Notification.objects.filter(user=cw.users.office, kind="complaint_submitted").exists()
    with pytest.raises(DomainError):  # nothing changes while the office reviews
        complaint_handle(actor=cw.users.staff2, complaint=c, data={"handling": "改一下"})
    for user in ("head2", "leader", "other_office"):
        with pytest.raises((PermissionDenied, NotFound)):
            complaint_review(actor=getattr(cw.users, user), complaint=c, approve=True)
    with pytest.raises(ValidationFailed):  # returning needs a reason
        complaint_review(actor=cw.users.office, complaint=c, approve=False)
    with django_capture_on_commit_callbacks(execute=True):
        c = complaint_review(actor=cw.users.office, complaint=c, approve=False, note="请补充处罚文书")
    assert c.review_status == ReviewStatus.RETURNED and c.review_note == "请补充处罚文书"
    assert Notification.objects.filter(user=cw.users.staff2, kind="complaint_reviewed").exists()
    c = complaint_submit(actor=cw.users.head2, complaint=c)
    c = complaint_review(actor=cw.users.office, complaint=c, approve=True)
    assert c.review_status == ReviewStatus.APPROVED
    assert [e.verb for e in events(c) if e.verb.startswith("complaint.")][-5:] == [
        "complaint.handled", "complaint.submitted", "complaint.returned", "complaint.submitted", "complaint.approved"]
    # a later change sends the approved result back to draft
    c = complaint_handle(actor=cw.users.staff2, complaint=c, data={"handling": "补充：已完成整改验收。"})
    assert c.review_status == ReviewStatus.DRAFT


def test_an_incomplete_result_cannot_be_submitted(cw):
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data={"investigation": "核查中"})
    with pytest.raises(ValidationFailed) as error:
        complaint_submit(actor=cw.users.head2, complaint=cw.town)
    assert "是否属实" in str(error.value.message)
    with pytest.raises(DomainError):
        complaint_review(actor=cw.users.office, complaint=cw.town, approve=True)  # nothing submitted


# -------------------------------------------------------------------------------------- look-backs


def test_lookback_rebound_creates_a_linked_case(cw, time_machine):
    time_machine.move_to(dt.datetime(2025, 9, 1, 9, 0))
    with pytest.raises(DomainError):  # not done yet
        complaint_lookback_schedule(actor=cw.users.office, complaint=cw.town, scheduled_date=D(2025, 9, 5))
    complaint_handle(actor=cw.users.staff2, complaint=cw.town, data=RESULT)
    with pytest.raises(PermissionDenied):
        complaint_lookback_schedule(actor=cw.users.head2, complaint=cw.town, scheduled_date=D(2025, 9, 5))
    look_back = complaint_lookback_schedule(actor=cw.users.office, complaint=cw.town, scheduled_date=D(2025, 9, 5))
    look_back = complaint_lookback_record(actor=cw.users.office, look_back=look_back, result="rebound",
                                          notes="夜间又有刺鼻气味")
    new = look_back.rebound_complaint
    assert new.acceptance_number == "D3CQ202506030001-回头看" and new.rebound_of == cw.town
    assert new.lead_unit == cw.world.town and new.is_priority and new.batch == cw.batch
    assert new.reply_deadline == D(2025, 9, 11) and new.status == ComplaintStatus.RECEIVED
    assert events(new, "complaint.rebound_created")
    assert events(cw.town, "lookback.recorded")[0].data["rebound_complaint"] == new.pk
    cw.town.refresh_from_db()
    assert cw.town.status == ComplaintStatus.DONE
    with pytest.raises(DomainError):
        complaint_lookback_record(actor=cw.users.office, look_back=look_back, result="held", notes="再记一次")


# ---------------------------------------------------------------------------------------- warnings


def _case(world, deadline, number="W-1", **data):
    batch = HandoverBatch.objects.filter(inspection=world.inspection, number=9).first() or make_batch(world, number=9)
    return make_complaint(world, batch, number, "某厂噪声扰民", lead_unit=world.town, reply_deadline=deadline, **data)


def test_warning_levels_in_working_days(world):
    monday = D(2025, 6, 16)
    c = _case(world, monday)
    assert complaint_warning(c, on=D(2025, 6, 12)) == "green"  # Thursday: Thu, Fri are the next two working days
    assert complaint_warning(c, on=D(2025, 6, 13)) == "yellow"  # Friday: Fri and Mon — three calendar days away
    assert complaint_warning(c, on=monday) == "yellow"
    assert complaint_warning(c, on=D(2025, 6, 17)) == "red"
    c.status = ComplaintStatus.DONE
    assert complaint_warning(c, on=D(2025, 6, 17)) == "green"


def test_holidays_count_as_no_working_days(world):
    c = _case(world, D(2025, 10, 9))  # the first working day after National Day 2025
    assert complaint_warning(c, on=D(2025, 9, 30)) == "yellow"  # nine calendar days, two working days
    assert complaint_warning(c, on=D(2025, 9, 29)) == "green"


def test_stage_done_cases_still_turn_red_and_merged_ones_do_not(world, cw):
    c = _case(world, D(2025, 6, 16))
    c.status = ComplaintStatus.STAGE_DONE
    assert complaint_warning(c, on=D(2025, 6, 20)) == "red"
    c.merged_into = cw.town
    assert complaint_warning(c, on=D(2025, 6, 20)) == "green"


def test_reminders_are_idempotent(world):
    red = _case(world, D(2025, 6, 10), number="W-red")
    yellow = _case(world, D(2025, 6, 16), number="W-yellow")
    _case(world, D(2025, 6, 30), number="W-green")
    done = _case(world, D(2025, 6, 1), number="W-done", status="done", done_at=D(2025, 6, 1))
    on = D(2025, 6, 13)
    first = complaints_remind(on=on)
    assert first == {"red": 1, "yellow": 1, "notifications": 4}  # staff2 and head2 for each case
    assert set(Notification.objects.filter(kind="complaint_red").values_list("user__username", flat=True)) == {
        "staff2", "head2"}
    assert Notification.objects.filter(url=f"/complaints/{yellow.pk}/", kind="complaint_yellow").count() == 2
    assert complaints_remind(on=on)["notifications"] == 0
    assert len(events(red, "complaint.reminded")) == 1 and not events(done, "complaint.reminded")
    assert complaints_remind(on=D(2025, 6, 16))["notifications"] == 4  # a new day, a new reminder


def test_schedule_is_registered_by_name(db):
    from django_q.models import Schedule

    register_schedules()
    register_schedules()
    schedule = Schedule.objects.get(name="complaints-remind")
    assert schedule.func == "zhenggai.complaints.services.complaints_remind"
    assert schedule.schedule_type == Schedule.DAILY
    assert Schedule.objects.filter(name="complaints-remind").count() == 1
