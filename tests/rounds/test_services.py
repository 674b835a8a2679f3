"""Rounds and reports through the services: opening, drafting (prefilled), submitting, approving,
returning; who may do what; events and notifications."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import chain_key_for
from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence
from zhenggai.notifications.models import Notification
from zhenggai.rectification.models import DispatchRound, ProgressReport, Task
from zhenggai.rectification.rounds import (
    ReportRefused,
    report_approve,
    report_return,
    report_save_draft,
    report_submit,
    round_close,
    round_open,
    round_remind,
)
from zhenggai.rectification.warnings import task_warning_refresh
from zhenggai.rectification.workflow import TaskStatus

from .conftest import D, approved_report, jpeg_upload, report_data

pytestmark = pytest.mark.django_db


def verbs(task):
    return list(Event.objects.filter(chain__key=chain_key_for(task)).order_by("seq").values_list("verb", flat=True))


# ---------------------------------------------------------------- opening rounds


def test_monthly_round_snapshots_the_open_tasks_of_the_region(world, travel, django_capture_on_commit_callbacks):
    closed = Task.objects.filter(pk=world.t_sub.pk)
    closed.update(status=TaskStatus.CLOSED)
    with django_capture_on_commit_callbacks(execute=True):
        rnd = round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.MONTHLY,
                         period_start=D(2025, 3, 3), due_date=D(2025, 3, 7))
    assert rnd.title == "2025年3月调度"
    assert set(rnd.tasks.all()) == {world.t_dept, world.t_town}  # not the closed one, not the other district's
    assert Event.objects.get(chain__key=chain_key_for(rnd)).verb == "round.opened"
    told = Notification.objects.filter(key__startswith=f"round:{rnd.pk}:open:")
    assert sorted(told.values_list("user__username", flat=True)) == ["head", "head2", "staff", "staff2"]
    assert "2025年3月7日" in told.first().body


def test_each_unit_person_is_told_once_even_with_several_tasks(world, rnd):
    keys = list(Notification.objects.filter(key__startswith=f"round:{rnd.pk}:open:").values_list("user__username",
                                                                                                  flat=True))
    # the sub-unit's own staff hears about its task; the street's people about theirs
    assert sorted(keys) == ["head", "head2", "staff", "staff2", "sub"]


@pytest.mark.parametrize("name", ["staff", "head", "leader", "other_office", "acceptor"])
def test_only_the_office_of_the_region_opens_rounds(world, travel, name):
    with pytest.raises(PermissionDenied):
        round_open(actor=getattr(world.users, name), region=world.district, kind=DispatchRound.Kind.MONTHLY,
                   period_start=D(2025, 3, 3), due_date=D(2025, 3, 7))
    assert not DispatchRound.objects.exists()


def test_weekly_round_takes_the_selected_tasks(world, travel):
    rnd = round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                     period_start=D(2025, 3, 3), due_date=D(2025, 3, 5), tasks=[world.t_town])
    assert list(rnd.tasks.all()) == [world.t_town]
    assert rnd.kind == "weekly" and "周调度" in rnd.title


def test_weekly_round_refuses_no_tasks_and_tasks_of_another_region(world, travel):
    for tasks in ([], [world.t_other]):
        with pytest.raises(ValidationFailed):
            round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                       period_start=D(2025, 3, 3), due_date=D(2025, 3, 5), tasks=tasks)
    assert not DispatchRound.objects.exists()


def test_due_date_before_period_start_is_refused(world, travel):
    with pytest.raises(ValidationFailed) as info:
        round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.MONTHLY,
                   period_start=D(2025, 3, 3), due_date=D(2025, 3, 2))
    assert info.value.field == "due_date"


def test_close_round(world, rnd):
    with time_machine.travel(dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        task_warning_refresh(world.t_dept)
        world.t_dept.refresh_from_db()
        assert world.t_dept.warning == "yellow"  # its report is missing after the due date
        round_close(actor=world.users.office, round=rnd)
    rnd.refresh_from_db()
    world.t_dept.refresh_from_db()
    assert rnd.status == "closed" and rnd.closed_at is not None
    assert world.t_dept.warning == "green"  # a closed round no longer asks for it
    with pytest.raises(ValidationFailed):
        round_close(actor=world.users.office, round=rnd)
    with pytest.raises(PermissionDenied):
        round_close(actor=world.users.head, round=rnd)


# ---------------------------------------------------------------- drafting, submitting, approving


def test_staff_drafts_submits_and_head_approves(world, rnd, django_capture_on_commit_callbacks):
    staff, head = world.users.staff, world.users.head
    report = report_save_draft(actor=staff, round=rnd, task=world.t_dept, data=report_data())
    assert (report.status, report.unit, report.drafted_by, report.percent) == ("draft", world.dept, staff, 30)
    with django_capture_on_commit_callbacks(execute=True):
        report_submit(actor=staff, report=report)
    report.refresh_from_db()
    assert report.status == "submitted" and report.submitted_at is not None
    assert Notification.objects.filter(user=head, kind="report_submitted").count() == 1
    assert not Notification.objects.filter(user=staff, kind="report_submitted").exists()

    report_approve(actor=head, report=report)
    report.refresh_from_db()
    assert (report.status, report.approved_by, report.is_late) == ("approved", head, False)
    assert report.approved_at is not None
    assert [v for v in verbs(world.t_dept) if v.startswith("report.")] == [
        "report.drafted", "report.submitted", "report.approved"]


def test_first_approved_report_starts_a_task_that_has_not_started(world, rnd):
    assert world.t_dept.status == TaskStatus.NOT_STARTED
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=world.users.staff, report=report)
    world.t_dept.refresh_from_db()
    assert world.t_dept.status == TaskStatus.NOT_STARTED  # a draft or a submission does not start it
    report_approve(actor=world.users.head, report=report)
    world.t_dept.refresh_from_db()
    assert world.t_dept.status == TaskStatus.IN_PROGRESS
    start = Event.objects.get(chain__key=chain_key_for(world.t_dept), verb="task.start")
    assert start.actor == world.users.head


def test_new_draft_starts_from_the_last_approved_report(world, rnd, django_capture_on_commit_callbacks):
    approved_report(world, rnd, stage="advancing", description="排查完成", percent=40, next_steps="开始改造")
    with django_capture_on_commit_callbacks(execute=True):
        april = round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.MONTHLY,
                           period_start=D(2025, 4, 1), due_date=D(2025, 4, 8))
    # only the change is typed
    report = report_save_draft(actor=world.users.staff, round=april, task=world.t_dept, data={"percent": 60})
    assert (report.stage, report.description, report.percent, report.next_steps) == (
        "advancing", "排查完成", 60, "开始改造")


def test_head_cannot_approve_a_report_they_wrote(world, rnd):
    head = world.users.head
    report = report_save_draft(actor=head, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=head, report=report)
    events = Event.objects.count()
    with pytest.raises(PermissionDenied) as info:
        report_approve(actor=head, report=report)
    assert "不能审核自己填报" in str(info.value.message)
    report.refresh_from_db()
    assert report.status == "submitted" and report.approved_by is None and report.approved_at is None
    assert Event.objects.count() == events
    world.t_dept.refresh_from_db()
    assert world.t_dept.status == TaskStatus.NOT_STARTED


def test_a_head_who_edits_becomes_the_writer(world, rnd):
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())
    report_save_draft(actor=world.users.head, round=rnd, task=world.t_dept, data={"percent": 35})
    report_submit(actor=world.users.staff, report=report)
    with pytest.raises(PermissionDenied):
        report_approve(actor=world.users.head, report=report)


@pytest.mark.parametrize(("name", "error"), [("staff", PermissionDenied), ("head2", NotFound),
                                             ("unrelated", NotFound), ("office", NotFound)])
def test_others_cannot_approve(world, rnd, name, error):
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=world.users.staff, report=report)
    with pytest.raises(error):
        report_approve(actor=getattr(world.users, name), report=report)
    report.refresh_from_db()
    assert report.status == "submitted"


def test_return_needs_a_reason_then_staff_edit_and_resubmit(world, rnd, django_capture_on_commit_callbacks):
    staff, head = world.users.staff, world.users.head
    report = report_save_draft(actor=staff, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=staff, report=report)
    with pytest.raises(ValidationFailed) as info:
        report_return(actor=head, report=report, reason="   ")
    assert info.value.field == "reason"
    report.refresh_from_db()
    assert report.status == "submitted"

    with django_capture_on_commit_callbacks(execute=True):
        report_return(actor=head, report=report, reason="请补充整改后照片")
    report.refresh_from_db()
    assert (report.status, report.return_reason) == ("returned", "请补充整改后照片")
    assert Notification.objects.get(user=staff, kind="report_returned").body == "请补充整改后照片"

    report_save_draft(actor=staff, round=rnd, task=world.t_dept, data={"description": "已补充照片"})
    report.refresh_from_db()
    assert report.status == "draft" and report.description == "已补充照片" and report.percent == 30
    report_submit(actor=staff, report=report)
    report_approve(actor=head, report=report)
    report.refresh_from_db()
    assert report.status == "approved" and report.return_reason == ""


def test_submitted_and_approved_reports_cannot_be_edited(world, rnd):
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=world.users.staff, report=report)
    with pytest.raises(ReportRefused):
        report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data={"percent": 90})
    report_approve(actor=world.users.head, report=report)
    with pytest.raises(ReportRefused):
        report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data={"percent": 90})
    with pytest.raises(ReportRefused):
        report_submit(actor=world.users.staff, report=report)
    report.refresh_from_db()
    assert report.percent == 30


@pytest.mark.parametrize("name", ["staff2", "unrelated", "acceptor", "leader", "office", "sub"])
def test_another_unit_cannot_report(world, rnd, name):
    with pytest.raises(NotFound):
        report_save_draft(actor=getattr(world.users, name), round=rnd, task=world.t_dept, data=report_data())
    assert not ProgressReport.objects.exists()


def test_a_unit_above_the_implementing_unit_may_report_for_it(world, rnd):
    report = report_save_draft(actor=world.users.staff2, round=rnd, task=world.t_sub, data=report_data())
    assert report.unit == world.town_sub
    report_submit(actor=world.users.staff2, report=report)
    report_approve(actor=world.users.head2, report=report)
    # but a sub-unit may not report for the unit above it
    with pytest.raises(NotFound):
        report_save_draft(actor=world.users.sub, round=rnd, task=world.t_town, data=report_data())


def test_task_not_in_the_round_is_refused(world, travel):
    rnd = round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.WEEKLY,
                     period_start=D(2025, 3, 3), due_date=D(2025, 3, 5), tasks=[world.t_town])
    with pytest.raises(NotFound):
        report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())


@pytest.mark.parametrize("percent", [-1, 101, "abc"])
def test_percent_is_between_0_and_100(world, rnd, percent):
    with pytest.raises(ValidationFailed) as info:
        report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data(percent=percent))
    assert info.value.field == "percent"


def test_submit_needs_a_description(world, rnd):
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data(description=""))
    with pytest.raises(ValidationFailed):
        report_submit(actor=world.users.staff, report=report)
    report.refresh_from_db()
    assert report.status == "draft"


def test_approval_after_the_due_date_is_late(world, rnd):
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data())
    report_submit(actor=world.users.staff, report=report)
    with time_machine.travel(dt.datetime(2025, 3, 8, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False):
        report_approve(actor=world.users.head, report=report)
    report.refresh_from_db()
    assert report.is_late


def test_files_become_evidence_of_the_task_and_of_the_report(world, rnd):
    photo = jpeg_upload()
    report = report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept, data=report_data(),
                               files=[photo], evidence_category="after_photo")
    evidence = Evidence.objects.get()
    assert evidence.task == world.t_dept and evidence.category == "after_photo"
    assert list(report.evidence.all()) == [evidence]
    report_save_draft(actor=world.users.staff, round=rnd, task=world.t_dept,
                      data={"remove_evidence": [str(evidence.pk)]})
    assert not report.evidence.exists()


def test_ad_hoc_report_outside_rounds(world, travel):
    report = report_save_draft(actor=world.users.staff, round=None, task=world.t_dept, data=report_data())
    again = report_save_draft(actor=world.users.staff, round=None, task=world.t_dept, data={"percent": 45})
    assert again.pk == report.pk and again.percent == 45
    report_submit(actor=world.users.staff, report=again)
    report_approve(actor=world.users.head, report=again)
    report.refresh_from_db()
    assert report.round is None and report.status == "approved" and not report.is_late
    # the next one is a new report, prefilled from this one
    nxt = report_save_draft(actor=world.users.staff, round=None, task=world.t_dept, data={"stage": "mostly_done"})
    assert nxt.pk != report.pk and nxt.percent == 45


# ---------------------------------------------------------------- reminders


def test_remind_tells_units_without_approved_reports_once_a_day(world, rnd):
    approved_report(world, rnd)  # the department has reported
    sent = round_remind(actor=world.users.office, round=rnd, on=D(2025, 3, 10))
    reminded = Notification.objects.filter(kind="round_reminder")
    assert sent == reminded.count() == 3
    assert sorted(reminded.values_list("user__username", flat=True)) == ["head2", "staff2", "sub"]
    assert round_remind(actor=world.users.office, round=rnd, on=D(2025, 3, 10)) == 0
    assert reminded.count() == 3
    assert round_remind(actor=world.users.office, round=rnd, on=D(2025, 3, 11)) == 3  # a new day
    assert Event.objects.filter(chain__key=chain_key_for(rnd), verb="round.reminded").count() == 2


def test_only_the_office_reminds(world, rnd):
    with pytest.raises(PermissionDenied):
        round_remind(actor=world.users.head, round=rnd)

