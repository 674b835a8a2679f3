"""`zhenggai generate-dataset`: the tiny scale, generated once per module (and rolled back), checked for
counts, consistency with the state machine, the audit trail, reproducibility and the pages on it."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.test import Client

from tests import factories as f
from zhenggai.accounts.models import Organization, Region, User
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.core.models import Event, EventChain
from zhenggai.demo.dataset import DEFAULT_AS_OF, SCALES, DatabaseNotEmpty, generate
from zhenggai.evidence.models import Evidence
from zhenggai.inspections.models import Inspection, Plan
from zhenggai.rectification.models import (
    AcceptanceApplication,
    AcceptanceReview,
    DispatchRound,
    Measure,
    ProgressReport,
    PublicNotice,
    Task,
)
from zhenggai.rectification.warnings import warnings_refresh_all
from zhenggai.rectification.workflow import TaskStatus

TINY = SCALES["tiny"]


def digest() -> str:
    """A digest of a few tables' contents (ids included): equal digests, equal data."""
    parts = [
        list(Region.objects.order_by("id").values_list("id", "code", "name", "path")),
        list(User.objects.order_by("id").values_list("id", "username", "last_name", "first_name", "organization_id")),
        list(Task.objects.order_by("id").values_list("id", "title", "status", "deadline", "warning", "version")),
        list(ProgressReport.objects.order_by("id").values_list("id", "task_id", "unit_id", "status", "percent")),
        list(Complaint.objects.order_by("id").values_list("id", "acceptance_number", "status", "review_status",
                                                           "published_data")),
        list(Evidence.objects.order_by("id").values_list("id", "sha256", "size", "category")),
        list(Event.objects.order_by("id").values_list("id", "hash")),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


@pytest.fixture(scope="module")
def generated(django_db_setup, django_db_blocker):
    with f.rolled_back(django_db_blocker):
        summary = generate(scale=TINY, seed=7)
        yield summary, digest()


@pytest.fixture
def data(generated, db):
    return generated[0]


def test_counts_follow_the_scale(data):
    assert Inspection.objects.count() == TINY.inspections
    assert Plan.objects.count() == TINY.inspections
    assert Task.objects.count() == TINY.tasks
    assert Complaint.objects.count() == TINY.complaints
    assert Region.objects.filter(level=Region.Level.DISTRICT).count() == TINY.districts
    assert Region.objects.filter(level=Region.Level.TOWNSHIP).count() == TINY.districts * TINY.townships
    assert Organization.objects.filter(kind=Organization.Kind.OFFICE).exists()
    measures = Measure.objects.count()
    assert 2 * TINY.tasks <= measures <= 4 * TINY.tasks
    assert ProgressReport.objects.count() > TINY.tasks  # monthly rounds, one report per unit
    assert Evidence.objects.count() > TINY.tasks
    assert data.rows["rectification.Task"] == TINY.tasks
    assert data.events == Event.objects.count()
    # every user has a unit and a role; unit staff exist for every department and township
    assert not User.objects.exclude(username="system").filter(Q(organization=None) | Q(roles=None)).exists()


def test_task_statuses_follow_the_state_machine(data):
    statuses = set(Task.objects.values_list("status", flat=True))
    assert {TaskStatus.CLOSED, TaskStatus.IN_PROGRESS} <= statuses
    for task in Task.objects.all():
        applications = AcceptanceApplication.objects.filter(task=task)
        notices = PublicNotice.objects.filter(task=task)
        if task.status == TaskStatus.CLOSED:
            passed = applications.get(status=AcceptanceApplication.Status.PASSED)
            assert AcceptanceReview.objects.get(application=passed).decision == AcceptanceReview.Decision.PASS
            assert notices.get().status == PublicNotice.Status.ENDED
            assert task.warning == "green"
        elif task.status == TaskStatus.IN_PUBLIC_NOTICE:
            assert notices.get().status == PublicNotice.Status.OPEN
        elif task.status == TaskStatus.ACCEPTANCE_REQUESTED:
            assert applications.filter(status=AcceptanceApplication.Status.PENDING).count() == 1
            assert not notices.exists()
        elif task.status == TaskStatus.NOT_STARTED:
            assert not task.reports.filter(status=ProgressReport.Status.APPROVED).exists()
            assert not applications.exists()
        if task.reports.filter(status=ProgressReport.Status.APPROVED).exists():
            assert task.status != TaskStatus.NOT_STARTED
        # every application carries evidence of the task itself
        for application in applications:
            assert application.evidence.exists()
            assert set(application.evidence.values_list("task_id", flat=True)) == {task.pk}
    # reports come from the task's implementing units, within rounds that snapshot the task
    for report in ProgressReport.objects.select_related("round")[:300]:
        assert report.task.implementing_units.filter(pk=report.unit_id).exists()
        assert report.round.tasks.filter(pk=report.task_id).exists()
    assert DispatchRound.objects.filter(status=DispatchRound.Status.OPEN).count() <= TINY.districts


def test_complaints_are_consistent(data):
    for complaint in Complaint.objects.all():
        assert (complaint.done_at is not None) == (complaint.status == "done")
        if complaint.truthfulness == "false":
            assert Evidence.objects.filter(complaint=complaint).exists()
        if complaint.published_at is not None:
            assert complaint.review_status == "approved"
            assert complaint.published_data["受理编号"].startswith(complaint.acceptance_number)
            assert not re.search(r"1[3-9]\d{9}", complaint.published_data["交办问题基本情况"])  # phones masked
    for batch in HandoverBatch.objects.annotate(n=Count("complaints")):
        assert batch.n > 0
        if batch.published_at is not None:
            assert not batch.complaints.exclude(review_status="approved").exists()


def test_audit_trail_verifies(data):
    out = StringIO()
    call_command("verify_audit", "--strict", stdout=out)  # raises CommandError on any problem
    assert "操作记录完整" in out.getvalue()
    assert EventChain.objects.count() > TINY.tasks + TINY.complaints
    verbs = set(Event.objects.values_list("verb", flat=True))
    assert {"task.created", "task.start", "task.apply", "task.pass", "task.close", "report.approved",
            "evidence.uploaded", "complaint.created", "complaint.published", "round.opened"} <= verbs


def test_stored_warnings_are_what_the_daily_job_computes(data):
    assert warnings_refresh_all(on=DEFAULT_AS_OF) == 0
    assert Task.objects.filter(warning="red").exists()


def test_the_daily_job_finds_the_ladder_as_it_left_it(data):
    """The generated state is the one the daily job left on the reference date: its escalation ladder
    has drafted what it drafts (督办函 and 约谈建议 for every red task, 督办单 after the second yellow), so a
    run on that day drafts nothing new — a benchmark of the job measures an ordinary day."""
    from zhenggai.rectification.loop_models import SupervisionNotice
    from zhenggai.rectification.supervision import escalation_run

    red = list(Task.objects.filter(warning="red", status__in=["not_started", "in_progress", "acceptance_requested"])
               .values_list("pk", "red_count"))
    assert red
    keys = set(SupervisionNotice.objects.values_list("key", flat=True))
    assert all(f"red:{pk}:{n}" in keys and f"talk:{pk}:{n}" in keys for pk, n in red)
    result = escalation_run(on=DEFAULT_AS_OF)
    assert result.drafted == [] or all(n.trigger == "unanswered" for n in result.drafted)


def test_warning_steps_follow_the_generated_events(data):
    from zhenggai.reports.dashboards_warning_steps import warning_steps_from_events, warning_steps_kept

    kept = warning_steps_kept()
    assert kept and kept == warning_steps_from_events()


def test_same_seed_same_data(generated, db):
    generate(scale=TINY, seed=7, force=True)
    assert digest() == generated[1]
    generate(scale=TINY, seed=8, force=True)
    assert digest() != generated[1]


def test_refuses_a_database_with_data(data):
    with pytest.raises(DatabaseNotEmpty):
        generate(scale=TINY, seed=7)
    with pytest.raises(CommandError, match="--force"):
        call_command("generate_dataset", "--scale", "tiny", stdout=StringIO())


def test_staff_pages_and_api_answer_on_generated_data(data):
    office = Client()
    office.force_login(User.objects.get(username="office1"))
    unit = Client()
    staff = User.objects.get(username="staff1-t1")
    unit.force_login(staff)
    for path in ("/", "/tasks/", "/tasks/?status=closed", "/complaints/", "/rounds/", "/api/v1/tasks",
                 "/api/v1/complaints"):
        assert office.get(path).status_code == 200, path
        assert unit.get(path).status_code == 200, path
    task = Task.objects.filter(implementing_units=staff.organization).first()
    assert task is not None
    assert unit.get(f"/tasks/{task.pk}/").status_code == 200
    hidden = Task.objects.exclude(Q(implementing_units__path__startswith=staff.organization.path)
                                  | Q(lead_unit__path__startswith=staff.organization.path)
                                  | Q(cooperating_units__path__startswith=staff.organization.path)
                                  | Q(acceptance_unit__path__startswith=staff.organization.path)
                                  | Q(measures__units__path__startswith=staff.organization.path)).first()
    assert hidden is not None
    assert unit.get(f"/tasks/{hidden.pk}/").status_code == 404
    assert office.get(f"/tasks/{hidden.pk}/").status_code == 200
    office_count = office.get("/api/v1/tasks").json()["count"]
    unit_count = unit.get("/api/v1/tasks").json()["count"]
    assert office_count == TINY.tasks
    assert 0 < unit_count < office_count


def test_reference_date_moves_the_data(generated, db):
    generate(scale=TINY, seed=7, force=True, as_of=dt.date(2026, 6, 30))
    assert digest() != generated[1]
    assert not Event.objects.filter(created_at__date__gt=dt.date(2026, 6, 30)).exists()
