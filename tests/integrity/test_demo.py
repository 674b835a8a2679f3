"""The demo shows the review: a handful of planted anomalies found by the real checks (and nothing else),
one confirmed, one dismissed, the rest open; the office sees them, a unit does not."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories as f
from zhenggai.accounts.models import User
from zhenggai.core.events import audit_verify
from zhenggai.demo.loader import load_demo
from zhenggai.integrity.models import IntegrityFlag


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with f.rolled_back(django_db_blocker, media_root=tmp_path_factory.mktemp("integrity-demo")):
        yield load_demo()


@pytest.mark.django_db
def test_the_demo_shows_a_few_planted_flags(demo):
    flags = list(IntegrityFlag.objects.select_related("task"))
    by_check: dict[str, list[IntegrityFlag]] = {}
    for flag in flags:
        by_check.setdefault(flag.check_code, []).append(flag)
    # the planted anomalies, and few others: the demo's honest photos and texts do not look alike
    assert {"short_notice", "repeated_text", "duplicate_file", "blanket_shutdown"} <= set(by_check)
    assert 4 <= len(flags) <= 10, [(f.check_code, f.reason) for f in flags]
    assert [f.task.number for f in by_check["short_notice"]] == [25]
    assert [f.task.number for f in by_check["repeated_text"]] == [6]
    assert "上一轮" in by_check["repeated_text"][0].reason
    assert 23 in [f.task.number for f in by_check["duplicate_file"] if f.task]
    assert {f.task.number for f in by_check["blanket_shutdown"]} == {27}
    statuses = {f.status for f in flags}
    assert statuses == {"open", "confirmed", "dismissed"}
    confirmed = next(f for f in flags if f.status == "confirmed")
    assert confirmed.check_code == "blanket_shutdown" and confirmed.decided_by.username == "office"
    assert list(audit_verify()) == []


@pytest.mark.django_db
def test_the_office_sees_the_review_and_a_unit_does_not(demo):
    flag = IntegrityFlag.objects.filter(check_code="blanket_shutdown").select_related("task").first()
    office, head = Client(), Client()
    office.force_login(User.objects.get(username="office"))
    head.force_login(User.objects.get(username="head"))
    queue = office.get("/integrity/").content.decode()
    assert f'data-flag="{flag.pk}"' in queue and "一律关停" in queue
    task_page = office.get(f"/tasks/{flag.task_id}/").content.decode()
    assert 'data-testid="integrity-panel"' in task_page
    assert head.get("/integrity/").status_code == 404
    assert 'data-testid="integrity-panel"' not in head.get("/tasks/").content.decode()
