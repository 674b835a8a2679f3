"""Tamper evidence (issue 8): records changed behind the services' back are named by `verify-audit`;
normal use through the services never raises a false alarm."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tests.rectification.test_transitions import ALL_OK, evidence_of
from zhenggai.core.audit_state import STATE_FIELDS, state_verify
from zhenggai.core.models import Event
from zhenggai.evidence.models import Evidence
from zhenggai.rectification import rounds
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import ProgressReport, Task
from zhenggai.rectification.services import task_data_from, task_update

from .. import factories as f


def verify(*args: str) -> tuple[int, str]:
    """Run verify-audit; (exit code, everything it printed)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, f"{out.getvalue()}{err.getvalue()}{error}"
    return 0, out.getvalue() + err.getvalue()


def full_loop(world) -> tuple[Task, ProgressReport]:
    """Every kind of write on one task through the services: edit, start, a report drafted, submitted,
    returned, resubmitted and approved, evidence, an application returned, a second one passed, an
    upheld objection, a third application passed and closure after the notice."""
    task = world.t_dept
    data = task_data_from(task)
    task_update(actor=world.users.office, task=task, data=dataclasses.replace(data, goal="管网全部接通"),
                expected_version=task.version)
    tr.task_start(actor=world.users.staff, task=Task.objects.get(pk=task.pk))
    report = rounds.report_save_draft(actor=world.users.staff, round=None, task=task,
                                      data={"description": "已完成管网改造60%", "percent": 60, "stage": "advancing"})
    rounds.report_submit(actor=world.users.staff, report=report)
    rounds.report_return(actor=world.users.head, report=ProgressReport.objects.get(pk=report.pk), reason="数据需核实")
    report = rounds.report_save_draft(actor=world.users.staff, round=None, task=task,
                                      data={"description": "已完成管网改造65%", "percent": 65})
    rounds.report_submit(actor=world.users.staff, report=report)
    rounds.report_approve(actor=world.users.head, report=ProgressReport.objects.get(pk=report.pk))

    def apply() -> None:
        tr.task_apply_for_acceptance(actor=world.users.head, task=Task.objects.get(pk=task.pk), statement="已完成",
                                     self_check=ALL_OK, evidence=[evidence_of(world, task)])

    apply()
    tr.task_return_acceptance(actor=world.users.acceptor, task=Task.objects.get(pk=task.pk), reasons="仍有溢流")
    apply()
    notice = tr.task_pass_acceptance(actor=world.users.acceptor, task=Task.objects.get(pk=task.pk))
    objection = tr.objection_lodge(notice=notice, content="夜间仍有排污")
    tr.objection_answer(actor=world.users.office, objection=objection, answer="属实，退回整改", upheld=True)
    apply()
    notice = tr.task_pass_acceptance(actor=world.users.acceptor, task=Task.objects.get(pk=task.pk),
                                     notice_start=dt.date(2025, 1, 21))
    tr.task_close(actor=world.users.office, task=Task.objects.get(pk=task.pk), on=dt.date(2025, 3, 1))
    task = Task.objects.get(pk=task.pk)
    assert task.status == "closed"
    return task, ProgressReport.objects.get(pk=report.pk)


@pytest.mark.django_db
def test_an_untouched_database_passes_even_strictly(world):
    code, text = verify("--strict", "--files")
    assert code == 0 and "当前状态一致" in text


@pytest.mark.django_db
def test_every_transition_through_the_services_leaves_no_false_alarm(world):
    full_loop(world)
    problems = [p.message() for p in state_verify()]
    assert problems == []
    code, text = verify("--strict", "--files")
    assert code == 0, text
    # the events carry the digests that make the check possible
    assert Event.objects.filter(data__has_key="state", object_type="task").count() >= 10


@pytest.mark.django_db
def test_verify_audit_names_each_tampered_record_and_exits_1(world):
    task, report = full_loop(world)
    evidence = Evidence.objects.filter(task=task).order_by("pk").first()
    assert evidence is not None
    assert verify("--files")[0] == 0

    Task.objects.filter(pk=world.t_town.pk).update(status="closed")  # a status set in the database
    with connection.cursor() as cursor:  # a report's text rewritten in SQL
        cursor.execute(f"UPDATE {ProgressReport._meta.db_table} SET description = %s WHERE id = %s",
                       ["已全部完成", report.pk])
    event = Event.objects.filter(object_type="task", object_id=str(world.t_sub.pk)).get()
    with connection.cursor() as cursor:  # an event's data rewritten
        cursor.execute("UPDATE core_event SET data = %s WHERE id = %s", ['{"after": {"title": "forged"}}', event.pk])
    with evidence.file.storage.open(evidence.file.name, "wb") as handle:  # the stored file replaced
        handle.write(b"not the photo that was uploaded")

    code, text = verify("--files")
    assert code == 1
    assert f"任务 #{world.t_town.pk} 的当前状态与最后一条操作记录不符（字段：status）" in text
    assert f"整改进展 #{report.pk} 的当前状态与最后一条操作记录不符（字段：description）" in text
    assert f"事件 #{event.pk}" in text
    assert f"佐证材料 #{evidence.pk}" in text and "SHA-256 不符" in text
    # without --files the file is not read, the rest is still reported
    code, text = verify()
    assert code == 1 and f"佐证材料 #{evidence.pk}" not in text and f"任务 #{world.t_town.pk}" in text


@pytest.mark.django_db
def test_a_key_field_changed_and_changed_back_is_clean_again(world):
    original = Task.objects.get(pk=world.t_dept.pk).title
    Task.objects.filter(pk=world.t_dept.pk).update(title="改过的标题")
    assert [p.fields for p in state_verify()] == [("title",)]
    Task.objects.filter(pk=world.t_dept.pk).update(title=original)
    assert list(state_verify()) == []


@pytest.mark.django_db
def test_records_without_a_recorded_state_are_listed_only_when_strict(world):
    # a row written before this check existed: its events carry no digests
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_event SET data = %s WHERE object_type = 'task' AND object_id = %s",
                       ['{}', str(world.t_sub.pk)])
    unregistered = [p for p in state_verify() if not p.registered]
    assert [(p.label, p.pk) for p in unregistered] == [("rectification.Task", world.t_sub.pk)]
    assert "未登记" in unregistered[0].message()


def test_state_fields_exist_on_their_models():
    from django.apps import apps

    for label, fields in STATE_FIELDS.items():
        names = {f.attname for f in apps.get_model(label)._meta.concrete_fields}
        assert set(fields) <= names, label


@pytest.fixture(scope="class")
def demo_media(tmp_path_factory):
    return tmp_path_factory.mktemp("demo-media")


@pytest.fixture(scope="class")
def loaded_demo(django_db_setup, django_db_blocker, demo_media):
    """The demo, loaded once (with its evidence files under `demo_media`) and rolled back afterwards."""
    from zhenggai.demo.loader import load_demo

    with f.rolled_back(django_db_blocker, media_root=demo_media):
        yield load_demo()


class TestDemo:
    @pytest.mark.django_db
    def test_the_demo_verifies_in_a_few_seconds_and_a_changed_report_is_named(self, loaded_demo, demo_media,
                                                                                 settings):
        settings.MEDIA_ROOT = demo_media
        started = time.monotonic()
        code, text = verify("--files")
        seconds = time.monotonic() - started
        assert code == 0, text
        assert seconds < 10, seconds
        report = ProgressReport.objects.filter(status="approved").order_by("pk").first()
        ProgressReport.objects.filter(pk=report.pk).update(percent=100, description="全部完成")
        code, text = verify()
        assert code == 1 and f"整改进展 #{report.pk} 的当前状态与最后一条操作记录不符（字段：description、percent）" in text
