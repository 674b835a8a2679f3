"""The portal's fingerprint (portal/caching.py): one cheap query, and a new value — with the new data on the
page — after every kind of write the portal shows, including deletions and `update()` writes that send no
signal; the version slots never make one writer wait for another."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenggai.complaints.models import HandoverBatch
from zhenggai.complaints.publication import batch_publish
from zhenggai.core.models import PublicDataVersion
from zhenggai.evidence.services import evidence_delete, evidence_set_public
from zhenggai.inspections.models import MeasureArea, Plan
from zhenggai.portal import caching
from zhenggai.portal.caching import data_fingerprint, public_data_changed
from zhenggai.rectification import rounds
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import Objection, Task
from zhenggai.rectification.warnings import GREEN, RED, task_warning_refresh
from zhenggai.rectification.workflow import TaskStatus

from .. import factories as f
from ..rectification.test_transitions import applied, evidence_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def public(world):
    Plan.objects.filter(pk=world.plan.pk).update(published_date=dt.date(2025, 5, 23))
    public_data_changed()
    return world


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_fingerprint_is_one_query_without_count_or_a_scan_of_data(public):
    with CaptureQueriesContext(connection) as queries:
        data_fingerprint()
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "COUNT(" not in sql and "UPDATED_AT" not in sql and "WHERE" not in sql
    assert sql.count("MAX(") == len(caching._id_tables()) + 1  # ids (one index entry each), the change time


def test_a_task_status_transition(client, public):
    url = reverse("portal:plan_detail", args=[public.plan.pk])
    before, page = data_fingerprint(), _page(client, url)
    assert 'data-status="in_progress"' not in page
    tr.task_start(actor=public.users.staff, task=public.t_dept)
    assert data_fingerprint() != before
    assert 'data-status="in_progress"' in _page(client, url)


def test_a_progress_report_approval(client, public):
    task = public.t_dept
    tr.task_start(actor=public.users.staff, task=task)
    report = rounds.report_save_draft(actor=public.users.staff, round=None, task=Task.objects.get(pk=task.pk),
                                      unit=public.dept, data={"description": "管网排查完成四成", "percent": 40})
    report = rounds.report_submit(actor=public.users.staff, report=report)
    url = reverse("portal:task_detail", args=[task.pk])
    before, page = data_fingerprint(), _page(client, url)
    assert "管网排查完成四成" not in page  # submitted, not yet approved: not public
    rounds.report_approve(actor=public.users.head, report=report)
    assert data_fingerprint() != before
    assert "管网排查完成四成" in _page(client, url)


def test_a_notice_published_and_an_objection_answered(client, public):
    task, _application = applied(public)
    url = reverse("portal:notice_list")
    before = data_fingerprint()
    assert task.title not in _page(client, url)
    notice = tr.task_pass_acceptance(actor=public.users.acceptor, task=task)
    after_notice = data_fingerprint()
    assert after_notice != before
    assert task.title in _page(client, url)

    objection = tr.objection_lodge(notice=notice, content="河道仍有异味")
    after_objection = data_fingerprint()
    assert after_objection != after_notice
    detail = reverse("portal:notice_detail", args=[notice.pk])
    assert "经核实为上游来水" not in _page(client, detail)
    tr.objection_answer(actor=public.users.office, objection=Objection.objects.get(pk=objection.pk),
                        answer="经核实为上游来水，已转办", upheld=False)
    assert data_fingerprint() != after_objection
    assert "经核实为上游来水" in _page(client, detail)


def test_an_upheld_objection_withdraws_the_notice_through_update(client, public):
    task, _application = applied(public)
    notice = tr.task_pass_acceptance(actor=public.users.acceptor, task=task)
    objection = tr.objection_lodge(notice=notice, content="整改后仍在夜间排污")
    url = reverse("portal:notice_list")
    before = data_fingerprint()
    assert task.title in _page(client, url)
    tr.objection_answer(actor=public.users.office, objection=objection, answer="异议属实，退回整改", upheld=True)
    assert data_fingerprint() != before
    assert task.title not in _page(client, url)  # withdrawn notices are not listed


def test_evidence_made_public_and_deleted(client, public, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    task = public.t_dept
    tr.task_start(actor=public.users.staff, task=task)
    evidence = evidence_of(public, Task.objects.get(pk=task.pk))
    url = reverse("portal:task_detail", args=[task.pk])
    photo = reverse("portal:photo_thumb", args=[evidence.pk])
    before = data_fingerprint()
    assert photo not in _page(client, url)
    evidence_set_public(actor=public.users.staff, evidence=evidence, is_public=True)
    made_public = data_fingerprint()
    assert made_public != before
    assert photo in _page(client, url)
    evidence_delete(actor=public.users.staff, evidence=evidence)  # a deletion: no id grows, the version does
    assert data_fingerprint() != made_public
    assert photo not in _page(client, url)


def test_a_complaint_batch_published(client, public):
    from ..complaints.test_publication import make_batch, make_case

    batch = make_batch(public)
    make_case(public, batch, "D8CQ2024111800001")
    url = "/api/v1/public/complaint-batches"
    before = data_fingerprint()
    assert client.get(url).json()["count"] == 0
    batch_publish(actor=public.users.office, batch=HandoverBatch.objects.get(pk=batch.pk))
    assert data_fingerprint() != before
    assert client.get(url).json()["count"] == 1


def test_the_warning_jobs_update_moves_the_fingerprint(public):
    task = Task.objects.get(pk=public.t_dept.pk)
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.IN_PROGRESS, deadline=dt.date(2025, 3, 31), warning=GREEN)
    task.refresh_from_db()
    before = data_fingerprint()
    assert task_warning_refresh(task, on=dt.date(2025, 6, 30))  # Task.objects.filter(...).update(...)
    assert Task.objects.get(pk=task.pk).warning == RED
    assert data_fingerprint() != before


def test_a_queryset_deletion_and_a_many_to_many_change(client, public):
    plan_url = reverse("portal:plan_detail", args=[public.plan.pk])
    MeasureArea.objects.create(plan=public.plan, number=9, title="临时举措领域")
    assert "临时举措领域" in _page(client, plan_url)
    before = data_fingerprint()
    MeasureArea.objects.filter(title="临时举措领域").delete()  # post_delete per row: the version moves
    deleted = data_fingerprint()
    assert deleted != before
    assert "临时举措领域" not in _page(client, plan_url)
    Task.objects.get(pk=public.t_dept.pk).implementing_units.add(public.unrelated)
    assert data_fingerprint() != deleted
    assert public.unrelated.short_name or public.unrelated.name in _page(client, plan_url)


def test_a_new_row_without_signals_still_moves_the_fingerprint(public):
    before = data_fingerprint()
    MeasureArea.objects.bulk_create([MeasureArea(plan=public.plan, number=8, title="批量导入的领域")])
    assert data_fingerprint() != before  # its table's largest id


def test_one_bump_per_transaction_unless_the_fingerprint_was_read_since(public):
    def total() -> int:
        return sum(PublicDataVersion.objects.values_list("number", flat=True))

    start = total()
    data_fingerprint()  # the test's own transaction bumped already (the fixture): a read makes it bump again
    with transaction.atomic():
        for title in ("一", "二", "三"):
            Task.objects.filter(pk=public.t_dept.pk).update(title=title)
            public_data_changed()
    assert total() == start + 1
    data_fingerprint()
    with transaction.atomic():
        public_data_changed()
        data_fingerprint()  # read in between (as a test does): the next write must show
        public_data_changed()
    assert total() == start + 3
    data_fingerprint()
    with transaction.atomic():
        try:
            with transaction.atomic():
                public_data_changed()
                raise RuntimeError
        except RuntimeError:
            pass
        public_data_changed()  # the bump of the rolled-back savepoint is gone: bumps again
    assert total() == start + 4


def test_the_kept_fingerprint_is_dropped_at_once_by_the_writer(public, settings, django_capture_on_commit_callbacks):
    settings.ZHENGGAI_PORTAL_FINGERPRINT_SECONDS = 2
    first = data_fingerprint()
    with CaptureQueriesContext(connection) as queries:
        assert data_fingerprint() == first
    assert len(queries) == 0  # kept in the cache
    with django_capture_on_commit_callbacks(execute=True):
        tr.task_start(actor=public.users.staff, task=public.t_dept)
    with CaptureQueriesContext(connection) as queries:
        assert data_fingerprint() != first
    assert len(queries) == 1


@pytest.mark.django_db(transaction=True)
def test_writers_do_not_wait_for_each_other_and_every_commit_moves_the_version(public):
    """Transaction A bumps first and commits last: B neither waits for A's slot nor hides A's change."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only (SQLite has one writer)")
    a_bumped, b_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def writer_a() -> None:
        try:
            with transaction.atomic():
                Task.objects.filter(pk=public.t_dept.pk).update(title="甲的修改")
                public_data_changed()
                a_bumped.set()
                assert b_done.wait(10)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=writer_a)
    thread.start()
    assert a_bumped.wait(10)
    before_b = data_fingerprint()
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '2s'")  # waiting for A's slot would fail here
    try:
        with transaction.atomic():
            f.org("乙新建的单位", region=public.district)  # a tracked model: bumps through the signal
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    after_b = data_fingerprint()
    assert after_b != before_b
    b_done.set()
    thread.join(20)
    assert not errors
    assert data_fingerprint() != after_b  # A committed after B: its change is not hidden
    assert PublicDataVersion.objects.count() >= 2  # B used another slot
