"""Supervision notices: the office drafts, edits, issues (with a number) and cancels; the head of the
addressed unit replies, late or not; everybody else is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.models import Event
from zhenggai.notifications.models import Notification
from zhenggai.rectification.models import SupervisionNotice
from zhenggai.rectification.supervision import (
    NoticeRefused,
    notice_cancel,
    notice_draft,
    notice_issue,
    notice_reply,
    notice_update,
)

from .conftest import at

D = dt.date
Kind, Status = SupervisionNotice.Kind, SupervisionNotice.Status


def draft(world, task=None, unit=None, **extra):
    values = {"kind": Kind.NOTICE, "reason": "进度滞后。", "required_action": "加快推进并书面报告。"}
    values.update(extra)
    return notice_draft(actor=world.users.office, task=task or world.t_dept, unit=unit or world.dept, **values)


def test_office_drafts_by_hand_with_default_reply_deadline(world):
    notice = draft(world)
    assert (notice.status, notice.trigger, notice.key, notice.number) == (Status.DRAFT, "manual", "", "")
    assert notice.reply_deadline == D(2025, 6, 9)  # 2025-06-02 is a holiday: five working days from 6-3
    event = Event.objects.get(chain__key=f"task:{world.t_dept.pk}", verb="supervision.drafted")
    assert event.actor == world.users.office and event.object_type == "supervisionnotice"


@pytest.mark.parametrize("name", ["staff", "head", "acceptor", "leader", "discipline", "admin", "other_office"])
def test_only_the_office_of_the_region_drafts(world, name):
    with pytest.raises(PermissionDenied):
        notice_draft(actor=getattr(world.users, name), task=world.t_dept, unit=world.dept, kind=Kind.NOTICE,
                     reason="x", required_action="y")


def test_draft_must_address_a_unit_of_the_task_and_be_complete(world):
    with pytest.raises(ValidationFailed) as error:
        draft(world, unit=world.unrelated)
    assert error.value.field == "unit"
    with pytest.raises(ValidationFailed):
        draft(world, reason="  ")
    with pytest.raises(ValidationFailed):
        draft(world, reply_deadline=D(2025, 5, 30))


def test_office_edits_a_draft_only(world):
    notice = draft(world)
    assert notice_update(actor=world.users.office, notice=notice, reason="新事由", required_action="新要求",
                         reply_deadline=D(2025, 6, 20), kind=Kind.LETTER) is True
    assert (notice.kind, notice.reason, notice.reply_deadline) == (Kind.LETTER, "新事由", D(2025, 6, 20))
    assert notice_update(actor=world.users.office, notice=notice, reason="新事由", required_action="新要求",
                         reply_deadline=D(2025, 6, 20), kind=Kind.LETTER) is False
    with pytest.raises(PermissionDenied):
        notice_update(actor=world.users.head, notice=notice, reason="a", required_action="b",
                      reply_deadline=D(2025, 6, 20), kind=Kind.LETTER)
    notice_issue(actor=world.users.office, notice=notice)
    with pytest.raises(NoticeRefused):
        notice_update(actor=world.users.office, notice=notice, reason="再改", required_action="b",
                      reply_deadline=D(2025, 6, 20), kind=Kind.LETTER)


def test_issue_numbers_per_region_and_year_and_tells_the_unit_head(world, time_machine):
    numbers = [notice_issue(actor=world.users.office, notice=draft(world, task=t, unit=u)).number
               for t, u in [(world.t_dept, world.dept), (world.t_town, world.town), (world.t_dept, world.dept)]]
    assert numbers == ["梁督整办〔2025〕1号", "梁督整办〔2025〕2号", "梁督整办〔2025〕3号"]
    other = notice_draft(actor=world.users.other_office, task=world.t_other, unit=world.t_other.lead_unit,
                         kind=Kind.LETTER, reason="逾期", required_action="整改")
    assert notice_issue(actor=world.users.other_office, notice=other).number == "垫督整办〔2025〕1号"
    time_machine.move_to(at(D(2026, 1, 5)))
    n2026 = notice_issue(actor=world.users.office, notice=draft(world, reply_deadline=D(2026, 1, 9)))
    assert n2026.number == "梁督整办〔2026〕1号"
    assert SupervisionNotice.objects.exclude(number="").values("number").distinct().count() == 5

    first = SupervisionNotice.objects.get(number=numbers[0])
    assert first.status == Status.ISSUED and first.issued_by == world.users.office
    message = Notification.objects.get(user=world.users.head, key=f"supervision:{first.pk}:issued")
    assert numbers[0] in message.title
    assert not Notification.objects.filter(user=world.users.head2, key=f"supervision:{first.pk}:issued").exists()


def test_issue_refuses_others_and_non_drafts(world):
    notice = draft(world)
    for name in ("head", "staff", "leader", "other_office"):
        with pytest.raises(PermissionDenied):
            notice_issue(actor=getattr(world.users, name), notice=notice)
    notice_issue(actor=world.users.office, notice=notice)
    with pytest.raises(NoticeRefused):
        notice_issue(actor=world.users.office, notice=notice)


def test_issue_refuses_a_past_reply_deadline(world, time_machine):
    notice = draft(world)
    time_machine.move_to(at(D(2025, 6, 20)))
    with pytest.raises(NoticeRefused):
        notice_issue(actor=world.users.office, notice=notice)


def test_the_unit_head_replies_on_time(world):
    notice = notice_issue(actor=world.users.office, notice=draft(world))
    notice = notice_reply(actor=world.users.head, notice=notice, reply="已完成管网排查，正在改造。")
    assert (notice.status, notice.replied_by, notice.reply) == (Status.REPLIED, world.users.head, "已完成管网排查，正在改造。")
    event = Event.objects.get(chain__key=f"task:{world.t_dept.pk}", verb="supervision.replied")
    assert event.data["late"] is False
    assert Notification.objects.filter(user=world.users.office, key=f"supervision:{notice.pk}:replied").exists()
    with pytest.raises(NoticeRefused):
        notice_reply(actor=world.users.head, notice=notice, reply="再次回复")


def test_a_reply_after_the_deadline_is_accepted_and_marked_late(world, time_machine):
    notice = notice_issue(actor=world.users.office, notice=draft(world))
    time_machine.move_to(at(D(2025, 6, 12)))
    notice_reply(actor=world.users.head, notice=notice, reply="逾期回复。")
    assert Event.objects.get(verb="supervision.replied", object_id=str(notice.pk)).data["late"] is True


def test_a_head_above_the_unit_may_reply(world):
    notice = notice_issue(actor=world.users.office, notice=draft(world, task=world.t_sub, unit=world.town_sub))
    assert notice_reply(actor=world.users.head2, notice=notice, reply="街道已督促环保所整改。").status == Status.REPLIED


@pytest.mark.parametrize(("name", "error"), [
    ("head2", NotFound),  # the head of another unit does not even see the notice
    ("unrelated", NotFound),
    ("staff", PermissionDenied),  # staff of the unit see it but may not answer for it
    ("office", PermissionDenied),
    ("leader", PermissionDenied),
    ("acceptor", NotFound),
])
def test_reply_refused_to_everyone_else(world, name, error):
    notice = notice_issue(actor=world.users.office, notice=draft(world))
    with pytest.raises(error):
        notice_reply(actor=getattr(world.users, name), notice=notice, reply="我来回复")
    notice.refresh_from_db()
    assert notice.status == Status.ISSUED


def test_drafts_cannot_be_replied_to(world):
    notice = draft(world)
    with pytest.raises(NotFound):  # a draft is the office's alone
        notice_reply(actor=world.users.head, notice=notice, reply="x")


def test_office_cancels_drafts_and_issued_notices(world):
    notice = draft(world)
    with pytest.raises(PermissionDenied):
        notice_cancel(actor=world.users.head, notice=notice)
    notice_cancel(actor=world.users.office, notice=notice, reason="重复")
    assert notice.status == Status.CANCELLED
    with pytest.raises(NoticeRefused):
        notice_cancel(actor=world.users.office, notice=notice)
    issued = notice_issue(actor=world.users.office, notice=draft(world))
    notice_cancel(actor=world.users.office, notice=issued)
    assert Notification.objects.filter(user=world.users.head, key=f"supervision:{issued.pk}:cancelled").exists()
