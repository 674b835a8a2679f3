"""The escalation ladder (DOMAIN §6): yellow twice → 督办单; red → 督办函 and 约谈建议; red again → an
accountability proposal; an issued notice unanswered past its deadline → escalated and a stronger letter.
Every step once, however often the ladder runs."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from zhenggai.core.models import Event
from zhenggai.notifications.models import Notification
from zhenggai.rectification.models import SupervisionNotice, Task
from zhenggai.rectification.supervision import escalation_run, notice_issue, notice_reply
from zhenggai.rectification.warnings import RED, YELLOW, task_warning_refresh, warnings_refresh_all
from zhenggai.rectification.workflow import TaskStatus

from .conftest import approved_report, at, open_round

D = dt.date
Kind, Status, Trigger = SupervisionNotice.Kind, SupervisionNotice.Status, SupervisionNotice.Trigger


def events(task, verb):
    return Event.objects.filter(chain__key=f"task:{task.pk}", verb=verb)


def test_yellow_twice_drafts_one_supervision_notice(world):
    task = f.task(actor=world.users.office, plan=world.plan, number=20, units=[world.dept],
                  milestones=[(D(2025, 6, 30), "完成管网排查", 30)])
    # first yellow: the milestone is missed; a report that reaches it makes the task green again
    warnings_refresh_all(on=D(2025, 7, 1))
    assert escalation_run(on=D(2025, 7, 1)).drafted == []  # once is not yet twice
    approved_report(world, task, world.dept, percent=30, on=D(2025, 7, 2))
    warnings_refresh_all(on=D(2025, 7, 3))
    # second yellow: a round closes its reporting without the unit's report
    open_round(world, task, due=D(2025, 7, 10))
    warnings_refresh_all(on=D(2025, 7, 11))
    task.refresh_from_db()
    assert (task.warning, task.yellow_count) == (YELLOW, 2)

    result = escalation_run(on=D(2025, 7, 11))
    assert [(n.kind, n.trigger, n.key) for n in result.drafted] == [(Kind.NOTICE, Trigger.YELLOW_TWICE, f"yellow2:{task.pk}")]
    notice = result.drafted[0]
    assert notice.status == Status.DRAFT and notice.unit == world.dept
    assert notice.reply_deadline == D(2025, 7, 17)  # five working days counted from 7-11 (a Friday)
    assert "2 次被亮黄牌" in notice.reason and "调度" in notice.reason
    assert events(task, "supervision.drafted").count() == 1
    office_note = Notification.objects.get(user=world.users.office, key=f"supervision:{notice.pk}:drafted")
    assert office_note.url == f"/supervision/notices/{notice.pk}/"

    assert escalation_run(on=D(2025, 7, 11)).drafted == []
    assert escalation_run(on=D(2025, 7, 14)).drafted == []
    assert SupervisionNotice.objects.filter(task=task).count() == 1


def test_red_drafts_a_letter_and_a_talk_proposal_once(world):
    task_warning_refresh(world.t_dept, on=D(2026, 1, 5))
    first = escalation_run(on=D(2026, 1, 5))
    drafted = {(n.task_id, n.kind, n.trigger, n.key) for n in first.drafted}
    assert drafted == {
        (world.t_dept.pk, Kind.LETTER, Trigger.RED, f"red:{world.t_dept.pk}:1"),
        (world.t_dept.pk, Kind.TALK, Trigger.RED, f"talk:{world.t_dept.pk}:1"),
    }
    talk = next(n for n in first.drafted if n.kind == Kind.TALK)
    assert talk.unit == world.dept and "主要负责人" in talk.reason
    letter = next(n for n in first.drafted if n.kind == Kind.LETTER)
    assert "2025年12月31日" in letter.reason
    assert events(world.t_dept, "supervision.drafted").count() == 2
    assert Notification.objects.filter(user=world.users.office, kind="supervision.draft").count() == 2
    # the other tasks are not red yet (they were never refreshed): nothing for them
    assert not SupervisionNotice.objects.exclude(task=world.t_dept).exists()

    second = escalation_run(on=D(2026, 1, 5))
    assert second.drafted == [] and second.escalated == []
    assert SupervisionNotice.objects.count() == 2


def test_red_again_proposes_accountability_once(world):
    task = world.t_dept
    task_warning_refresh(task, on=D(2026, 1, 5))
    escalation_run(on=D(2026, 1, 5))
    assert not events(task, "task.accountability_proposed").exists()
    # the deadline is extended, the task turns green, then overdue again: red a second time
    Task.objects.filter(pk=task.pk).update(deadline=D(2026, 3, 31))
    task.refresh_from_db()
    task_warning_refresh(task, on=D(2026, 1, 6))
    task_warning_refresh(task, on=D(2026, 4, 1))
    task.refresh_from_db()
    assert (task.warning, task.red_count) == (RED, 2)

    result = escalation_run(on=D(2026, 4, 1))
    assert {n.key for n in result.drafted} == {f"red:{task.pk}:2", f"talk:{task.pk}:2"}
    assert result.accountability == [task]
    proposal = events(task, "task.accountability_proposed").get()
    assert proposal.data["red_count"] == 2 and proposal.actor.username == "system"
    keys = set(Notification.objects.filter(kind="task.accountability_proposed").values_list("user__username", "key"))
    assert keys == {("office", f"accountability:{task.pk}:2"), ("discipline", f"accountability:{task.pk}:2")}

    again = escalation_run(on=D(2026, 4, 2))
    assert again.accountability == [] and again.drafted == []
    assert events(task, "task.accountability_proposed").count() == 1


def test_unanswered_notice_escalates_to_a_stronger_letter(world, time_machine):
    Task.objects.filter(pk=world.t_dept.pk).update(yellow_count=2)
    notice = escalation_run(on=D(2025, 6, 2)).drafted[0]
    notice = notice_issue(actor=world.users.office, notice=notice)
    assert notice.reply_deadline == D(2025, 6, 9)  # 2025-06-02 is the Dragon Boat holiday: 6-3 is day one

    assert escalation_run(on=D(2025, 6, 9)).escalated == []  # the deadline day still allows a reply
    result = escalation_run(on=D(2025, 6, 10))
    notice.refresh_from_db()
    assert notice.status == Status.ESCALATED and result.escalated == [notice]
    stronger = SupervisionNotice.objects.get(escalated_from=notice)
    assert (stronger.kind, stronger.trigger, stronger.status, stronger.key) == (
        Kind.LETTER, Trigger.UNANSWERED, Status.DRAFT, f"unanswered:{notice.pk}")
    assert stronger.unit == notice.unit and notice.number in stronger.reason
    assert events(world.t_dept, "supervision.escalated").count() == 1
    assert Notification.objects.filter(user=world.users.head, key=f"supervision:{notice.pk}:escalated").exists()

    assert escalation_run(on=D(2025, 6, 11)).drafted == []
    assert SupervisionNotice.objects.filter(escalated_from=notice).count() == 1

    # the unit may still answer the escalated notice; the reply is marked late
    time_machine.move_to(at(D(2025, 6, 11)))
    notice = notice_reply(actor=world.users.head, notice=notice, reply="已补报整改进展。")
    assert notice.status == Status.REPLIED
    assert events(world.t_dept, "supervision.replied").get().data["late"] is True


def test_replied_and_cancelled_notices_do_not_escalate(world):
    Task.objects.filter(pk__in=[world.t_dept.pk, world.t_town.pk]).update(yellow_count=2)
    drafted = {n.task_id: n for n in escalation_run(on=D(2025, 6, 2)).drafted}
    replied = notice_issue(actor=world.users.office, notice=drafted[world.t_dept.pk])
    notice_reply(actor=world.users.head, notice=replied, reply="已整改。")
    from zhenggai.rectification.supervision import notice_cancel

    cancelled = notice_issue(actor=world.users.office, notice=drafted[world.t_town.pk])
    notice_cancel(actor=world.users.office, notice=cancelled, reason="已另行约谈")
    result = escalation_run(on=D(2025, 7, 1))
    assert result.escalated == [] and result.drafted == []


def test_closed_tasks_are_left_alone(world):
    Task.objects.filter(pk=world.t_dept.pk).update(yellow_count=3, red_count=2, warning=RED, status=TaskStatus.CLOSED)
    result = escalation_run(on=D(2026, 1, 5))
    assert result.drafted == [] and result.accountability == []
