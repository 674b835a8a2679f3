"""The contract between the checks and the rest of the integrity app.

A check is a function `check(scope: Scope) -> Iterable[Finding]`, registered with `@register(...)`.
It reads through the models and selectors, writes nothing, and yields one Finding per suspicious
object. The runner (zhenggai.integrity.services) turns findings into flags: one flag per
(check code, key), so running a check twice, or nightly over everything, never duplicates a flag.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models


@dataclass(frozen=True)
class Scope:
    """What to look at. `None` means everything (the nightly run); a set limits the check to those
    tasks / complaints (the run after a report, upload, application, closure or complaint handling).
    A check may look at other objects to compare with (earlier rounds, other units' texts), but only
    yields findings about objects in scope."""

    task_ids: frozenset[int] | None = None
    complaint_ids: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.task_ids is None and self.complaint_ids is None

    def covers_task(self, task_id: int | None) -> bool:
        return task_id is not None and (self.task_ids is None or task_id in self.task_ids)

    def covers_complaint(self, complaint_id: int | None) -> bool:
        return complaint_id is not None and (self.complaint_ids is None or complaint_id in self.complaint_ids)


@dataclass(frozen=True)
class Finding:
    """One suspicious object. `reason` is one plain sentence for the office (translated text);
    `evidence` is JSON-serialisable data behind it (ids, hashes, distances, dates, excerpts) that the
    review page shows; `key` identifies the finding within its check (e.g. "evidence:12:task:7"),
    stable across runs."""

    check: str
    key: str
    reason: str
    subject: models.Model
    task_id: int | None = None
    complaint_id: int | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    code: str
    label: Any  # lazy translated string
    func: Callable[[Scope], Iterable[Finding]]
    triggers: frozenset[str]  # event verbs after which the check runs for the event's task/complaint
    description: Any = ""

    def __call__(self, scope: Scope) -> Iterable[Finding]:
        return self.func(scope)


CHECKS: dict[str, Check] = {}


def register(code: str, label: Any, *, triggers: Iterable[str], description: Any = "") -> Callable:
    def decorate(func: Callable[[Scope], Iterable[Finding]]) -> Callable[[Scope], Iterable[Finding]]:
        if code in CHECKS and CHECKS[code].func is not func:
            raise ValueError(f"integrity check {code!r} registered twice")
        CHECKS[code] = Check(code, label, func, frozenset(triggers), description)
        return func

    return decorate
