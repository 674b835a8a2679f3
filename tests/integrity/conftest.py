"""A check registered only for the tests (the real checks are tested in test_checks_*.py): it reports
what the test tells it to and remembers the scopes it was run over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from zhenggai.integrity.checks import CHECKS, Finding, Scope, register

PROBE = "test_probe"


@dataclass
class Probe:
    code: str = PROBE
    hits: dict[str, tuple[Any, str, dict[str, Any]]] = field(default_factory=dict)  # key -> (subject, reason, data)
    scopes: list[Scope] = field(default_factory=list)
    fail: bool = False

    def report(self, subject: Any, reason: str = "测试疑点", key: str | None = None, **data: Any) -> str:
        key = key or f"{subject._meta.model_name}:{subject.pk}"
        self.hits[key] = (subject, reason, data)
        return key

    def run(self, scope: Scope):
        self.scopes.append(scope)
        if self.fail:
            raise RuntimeError("probe broken")
        for key, (subject, reason, data) in self.hits.items():
            task_id = subject.pk if subject._meta.model_name == "task" else getattr(subject, "task_id", None)
            complaint_id = subject.pk if subject._meta.model_name == "complaint" else getattr(subject, "complaint_id", None)
            if scope.covers_task(task_id) or scope.covers_complaint(complaint_id):
                yield Finding(check=self.code, key=key, reason=reason, subject=subject, task_id=task_id,
                              complaint_id=complaint_id, evidence=dict(data))


@pytest.fixture
def probe():
    """The probe check, listening to report.submitted, evidence.uploaded and complaint.handled."""
    state = Probe()
    register(PROBE, "测试核查项", triggers=["report.submitted", "evidence.uploaded", "complaint.handled"])(state.run)
    yield state
    CHECKS.pop(PROBE, None)


@pytest.fixture
def queue_inline(monkeypatch):
    """django-q2 in sync mode: a queued job runs at once, in the test's transaction."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
