"""The runner: one flag per (check, key), idempotent, still_found kept up to date, decisions kept when a
flag is found again, failing checks isolated; and the triggers that run the checks after a real change."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhenggai.core.actors import system_actor
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.models import Event
from zhenggai.integrity.checks import Scope
from zhenggai.integrity.jobs import register_schedules, run_nightly, run_triggered
from zhenggai.integrity.models import IntegrityFlag
from zhenggai.integrity.services import integrity_flag_dismiss, integrity_run
from zhenggai.rectification.models import DispatchRound
from zhenggai.rectification.rounds import report_save_draft, report_submit, round_open

from .conftest import PROBE

pytestmark = pytest.mark.django_db
EVERYTHING = Scope()


def run(scope: Scope = EVERYTHING, checks=(PROBE,)):
    return integrity_run(scope=scope, checks=list(checks), actor=system_actor())


def test_a_finding_opens_one_flag_with_its_region_unit_and_event(world, probe):
    probe.report(world.t_town, "进展描述与上月雷同", similarity=0.97, excerpt="已完成排查")
    result = run()
    assert (result.checks, result.found, result.new, result.again, result.gone) == ([PROBE], 1, 1, 0, 0)
    flag = IntegrityFlag.objects.get()
    assert (flag.check_code, flag.key, flag.status, flag.still_found) == (PROBE, f"task:{world.t_town.pk}", "open", True)
    assert (flag.task, flag.complaint, flag.region) == (world.t_town, None, world.district)
    assert (flag.subject_kind, flag.subject_id) == ("task", world.t_town.pk)
    assert flag.reason == "进展描述与上月雷同" and flag.evidence == {"similarity": 0.97, "excerpt": "已完成排查"}
    assert flag.first_found == flag.last_found and flag.decided_by is None
    event = Event.objects.get(verb="integrity.flagged")
    assert event.chain.key == f"integrityflag:{flag.pk}" and event.actor.username == "system"
    assert event.data["task"] == world.t_town.pk and event.data["check"] == PROBE
    # the task's own history (read by its units) does not show the internal review
    assert not Event.objects.filter(chain__key=f"task:{world.t_town.pk}", verb__startswith="integrity.").exists()


def test_running_again_updates_the_flag_and_writes_no_new_event(world, probe):
    probe.report(world.t_town, "第一次")
    run()
    flag = IntegrityFlag.objects.get()
    probe.report(world.t_town, "第二次：相似度更高", similarity=0.99)
    result = run()
    assert (result.new, result.again, result.gone) == (0, 1, 0)
    again = IntegrityFlag.objects.get()
    assert again.pk == flag.pk and again.reason == "第二次：相似度更高" and again.evidence == {"similarity": 0.99}
    assert again.last_found > flag.last_found and again.first_found == flag.first_found
    assert Event.objects.filter(verb="integrity.flagged").count() == 1


def test_a_flag_not_found_again_is_kept_with_still_found_false_and_comes_back(world, probe):
    key = probe.report(world.t_town)
    run()
    del probe.hits[key]
    assert run().gone == 1
    flag = IntegrityFlag.objects.get()
    assert flag.still_found is False and flag.status == "open"
    probe.report(world.t_town)
    assert (run().new, IntegrityFlag.objects.get().still_found) == (0, True)


def test_a_dismissed_flag_found_again_stays_dismissed(world, probe):
    probe.report(world.t_town)
    run()
    integrity_flag_dismiss(actor=world.users.office, flag=IntegrityFlag.objects.get(), reason="现场核实，照片为同一地点不同时间拍摄")
    run()
    flag = IntegrityFlag.objects.get()
    assert flag.status == "dismissed" and flag.still_found and flag.decision_reason.startswith("现场核实")


def test_a_scoped_run_leaves_flags_outside_its_scope_alone(world, probe):
    probe.report(world.t_town)
    probe.report(world.t_dept)
    run()
    probe.hits.clear()
    result = run(Scope(task_ids=frozenset({world.t_dept.pk})))
    assert result.gone == 1
    state = dict(IntegrityFlag.objects.values_list("task_id", "still_found"))
    assert state == {world.t_dept.pk: False, world.t_town.pk: True}
    assert probe.scopes[-1].task_ids == frozenset({world.t_dept.pk})


def test_findings_outside_the_scope_are_ignored(world, probe):
    """A check that yields more than its scope asked for does not flag the rest."""
    probe.report(world.t_town)
    original = probe.run

    def greedy(scope):
        yield from original(EVERYTHING)

    from zhenggai.integrity.checks import CHECKS

    CHECKS[PROBE] = CHECKS[PROBE].__class__(PROBE, "测试核查项", greedy, frozenset())
    assert run(Scope(task_ids=frozenset({world.t_dept.pk}))).new == 0
    assert not IntegrityFlag.objects.exists()


def test_a_failing_check_is_logged_and_its_flags_are_left_as_they_were(world, probe, caplog):
    probe.report(world.t_town)
    run()
    probe.fail = True
    with caplog.at_level(logging.ERROR, logger="zhenggai.integrity.services"):
        result = run()
    assert result.checks == [] and PROBE in result.failed and "probe broken" in result.failed[PROBE]
    assert "integrity check test_probe failed" in caplog.text
    assert IntegrityFlag.objects.get().still_found is True


def test_only_the_system_runs_checks_and_unknown_checks_are_refused(world, probe):
    with pytest.raises(PermissionDenied):
        integrity_run(scope=EVERYTHING, checks=[PROBE], actor=world.users.office)
    with pytest.raises(ValidationFailed):
        integrity_run(scope=EVERYTHING, checks=["no_such_check"], actor=system_actor())


def test_a_finding_without_task_or_complaint_is_skipped(world, probe, caplog):
    probe.report(world.dept, key="unit-only")  # an organization: no task, no complaint
    original = probe.run

    def everything(scope):
        from zhenggai.integrity.checks import Finding

        yield from original(scope)
        yield Finding(check=PROBE, key="unit-only", reason="x", subject=world.dept)

    from zhenggai.integrity.checks import CHECKS

    CHECKS[PROBE] = CHECKS[PROBE].__class__(PROBE, "测试核查项", everything, frozenset())
    with caplog.at_level(logging.WARNING, logger="zhenggai.integrity.services"):
        assert run().new == 0
    assert "names no task or complaint" in caplog.text


def test_queries_do_not_grow_with_the_number_of_flags_found_again(world, probe):
    from tests import factories as f

    tasks = [f.task(actor=world.users.office, plan=world.plan, number=10 + n, units=[world.dept]) for n in range(30)]
    probe.report(tasks[0])
    run()
    with CaptureQueriesContext(connection) as few:
        run()
    for task in tasks:
        probe.report(task, "相同")
    run()
    with CaptureQueriesContext(connection) as many:
        run()
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]


def test_the_nightly_job_runs_every_check_as_the_system_and_is_scheduled_at_half_past_two(world, probe):
    from django_q.models import Schedule

    probe.report(world.t_sub)
    summary = run_nightly()
    assert PROBE in summary["checks"] and summary["new"] == 1
    assert probe.scopes[-1].everything
    register_schedules()
    schedule = Schedule.objects.get(name="integrity-nightly")
    assert schedule.func == "zhenggai.integrity.jobs.run_nightly" and schedule.schedule_type == Schedule.DAILY
    assert (schedule.next_run.astimezone().hour, schedule.next_run.astimezone().minute) == (2, 30)


def test_run_triggered_groups_checks_by_scope_and_skips_unknown_codes(world, probe):
    probe.report(world.t_town)
    summary = run_triggered({PROBE: {"tasks": [world.t_town.pk], "complaints": []},
                             "gone_check": {"tasks": [world.t_town.pk], "complaints": []}})
    assert list(summary) == [PROBE] and summary[PROBE]["new"] == 1
    assert probe.scopes[-1] == Scope(task_ids=frozenset({world.t_town.pk}), complaint_ids=frozenset())


# ── triggers: real changes run the scoped checks after commit ──


@pytest.fixture
def rnd(world):
    return round_open(actor=world.users.office, region=world.district, kind=DispatchRound.Kind.MONTHLY,
                      period_start=dt.date(2025, 3, 1), due_date=dt.date(2025, 3, 7))


def test_submitting_a_report_runs_the_checks_listening_to_it_for_that_task(world, probe, rnd, queue_inline,
                                                                          django_capture_on_commit_callbacks):
    probe.report(world.t_town, "与上月进展雷同")
    probe.report(world.t_dept, "另一任务")
    report = report_save_draft(actor=world.users.staff2, round=rnd, task=world.t_town,
                               data={"stage": "advancing", "description": "已完成排查", "percent": 40})
    assert probe.scopes == []  # a draft is no trigger
    with django_capture_on_commit_callbacks(execute=True):
        report_submit(actor=world.users.staff2, report=report)
        assert probe.scopes == []  # nothing runs before the commit
    assert probe.scopes == [Scope(task_ids=frozenset({world.t_town.pk}), complaint_ids=frozenset())]
    flag = IntegrityFlag.objects.get()
    assert flag.task == world.t_town and flag.reason == "与上月进展雷同"


def test_one_job_for_all_trigger_events_of_a_transaction(world, probe, rnd, queue_inline,
                                                         django_capture_on_commit_callbacks):
    from django.db import transaction

    reports = [report_save_draft(actor=user, round=rnd, task=task,
                                 data={"stage": "advancing", "description": "推进中", "percent": 20})
               for user, task in ((world.users.staff2, world.t_town), (world.users.staff, world.t_dept))]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            report_submit(actor=world.users.staff2, report=reports[0])
            report_submit(actor=world.users.staff, report=reports[1])
    assert probe.scopes == [Scope(task_ids=frozenset({world.t_town.pk, world.t_dept.pk}), complaint_ids=frozenset())]


def test_uploading_evidence_queues_the_checks_for_the_worker(world, probe, django_capture_on_commit_callbacks):
    """Outside sync mode the checks are queued as one django-q2 job after the commit."""
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from tests.evidence.samples import jpeg, upload
    from zhenggai.evidence.services import evidence_create

    with django_capture_on_commit_callbacks(execute=True):
        evidence_create(actor=world.users.staff, task=world.t_dept, file=upload("现场.jpg", jpeg(), "image/jpeg"),
                        category="after_photo")
    job = SignedPackage.loads(OrmQ.objects.get().payload)
    assert job["func"] == "zhenggai.integrity.jobs.run_triggered"
    [payload] = job["args"]
    assert payload[PROBE] == {"tasks": [world.t_dept.pk], "complaints": []}
    assert probe.scopes == []


def test_a_rolled_back_change_queues_nothing(world, probe, rnd, queue_inline, django_capture_on_commit_callbacks):
    from django.db import transaction

    report = report_save_draft(actor=world.users.staff2, round=rnd, task=world.t_town,
                               data={"stage": "advancing", "description": "已完成排查", "percent": 40})
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            report_submit(actor=world.users.staff2, report=report)
            transaction.set_rollback(True)
    assert probe.scopes == []


def test_a_failing_check_never_breaks_the_users_action(world, probe, rnd, queue_inline,
                                                       django_capture_on_commit_callbacks, caplog):
    probe.fail = True
    report = report_save_draft(actor=world.users.staff2, round=rnd, task=world.t_town,
                               data={"stage": "advancing", "description": "已完成排查", "percent": 40})
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        submitted = report_submit(actor=world.users.staff2, report=report)
    submitted.refresh_from_db()
    assert submitted.status == "submitted" and len(probe.scopes) == 1
    assert "probe broken" in caplog.text and not IntegrityFlag.objects.exists()


def test_the_operators_command(world, probe):
    from io import StringIO

    from django.core.management import CommandError, call_command

    probe.report(world.t_town)
    probe.report(world.t_dept)
    out = StringIO()
    call_command("integrity_check", "--check", PROBE, "--task", str(world.t_town.pk), stdout=out)
    assert "新增 1 个" in out.getvalue() and IntegrityFlag.objects.get().task == world.t_town
    assert probe.scopes[-1] == Scope(task_ids=frozenset({world.t_town.pk}), complaint_ids=frozenset())
    out = StringIO()
    call_command("integrity_check", "--check", PROBE, stdout=out)
    assert "新增 1 个，再次发现 1 个" in out.getvalue() and probe.scopes[-1].everything
    listing = StringIO()
    call_command("integrity_check", "--list", stdout=listing)
    assert f"{PROBE}\t测试核查项" in listing.getvalue()
    with pytest.raises(CommandError, match="未知的核查项"):
        call_command("integrity_check", "--check", "no_such_check", stdout=StringIO())
    probe.fail = True
    with pytest.raises(CommandError, match="运行失败"):
        call_command("integrity_check", "--check", PROBE, stdout=StringIO(), stderr=StringIO())
