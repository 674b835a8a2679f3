"""Jobs of the integrity review (django-q2), acting as the system actor:

- `run_triggered(payload)`: the checks queued after a change (see `triggers`), each over the tasks and
  complaints of the verbs it listens to; a failing check is logged and skipped;
- `run_nightly()`: every check over everything, scheduled daily at 02:30.
"""

from __future__ import annotations

import logging
from typing import Any

from zhenggai.core.actors import system_actor

from .checks import Scope
from .services import RunResult, integrity_run

log = logging.getLogger(__name__)

NIGHTLY_NAME = "integrity-nightly"
NIGHTLY_FUNC = "zhenggai.integrity.jobs.run_nightly"


def run_triggered(payload: dict[str, dict[str, list[int]]]) -> dict[str, Any]:
    """Run each check of `payload` ({code: {"tasks": [...], "complaints": [...]}}) over its scope; checks
    with the same scope run together. Returns the runs' summaries (for the job's result)."""
    groups: dict[tuple[tuple[int, ...], tuple[int, ...]], list[str]] = {}
    for code, wanted in sorted(payload.items()):
        ident = (tuple(sorted(wanted.get("tasks") or [])), tuple(sorted(wanted.get("complaints") or [])))
        groups.setdefault(ident, []).append(code)
    actor = system_actor()
    summaries: dict[str, Any] = {}
    for (tasks, complaints), codes in groups.items():
        from .checks import load_all

        known = [code for code in codes if code in load_all()]
        if not known:
            continue
        scope = Scope(task_ids=frozenset(tasks), complaint_ids=frozenset(complaints))
        try:
            result = integrity_run(scope=scope, checks=known, actor=actor)
        except Exception:
            log.exception("integrity run failed for %s", codes)
            continue
        for code in known:
            summaries[code] = result.as_dict()
    return summaries


def run_nightly() -> dict[str, Any]:
    """Every check over everything (the nightly run at 02:30)."""
    result: RunResult = integrity_run(scope=Scope(), actor=system_actor())
    if result.failed:
        log.error("nightly integrity run: checks failed: %s", result.failed)
    return result.as_dict()


def register_schedules() -> None:
    from zhenggai.core.schedules import daily

    daily(NIGHTLY_NAME, NIGHTLY_FUNC, hour=2, minute=30)
