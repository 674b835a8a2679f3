"""Writes of the integrity review: the runner that turns the checks' findings into flags, and the office's
and the discipline body's decisions on a flag.

The runner (`integrity_run`):
- runs the selected checks (all by default) over a `Scope`; a check that raises is logged and skipped, and
  its flags are left as they were (a broken check must never look like "nothing found");
- keeps one flag per (check, key): a new finding opens a flag (待核查) and writes `integrity.flagged` on
  the flag's own chain (the review is internal: the task's history, which its units read, stays free of
  it); a finding that has a flag already refreshes its reason, data, `last_found` and `still_found` and
  never changes its status (a dismissed flag found again stays dismissed);
- sets `still_found = False` on the flags of the checks that ran, within the scope, that were not found
  again. Flags are never deleted;
- works in bulk: a fixed number of queries per check and per 500 flags, plus one event per new flag.

Decisions (one service each: lock the row, check the state and the actor's right, save, write the event in
the same transaction):
- `integrity_flag_confirm` / `integrity_flag_dismiss` (reason required) / `integrity_flag_reopen` (a
  dismissed flag back to open, reason required): the office of the flag's region or above;
- `integrity_flag_to_accountability`: the discipline body turns a confirmed flag into an accountability
  case (recorded through `assessment.services.accountability_case_save`, linked to the flag's task or
  complaint, answering the flag's confirmation) and the flag keeps the link.
`integrity.confirmed` names the units concerned (`data["units"]`): the assessment rule kind
`integrity_confirmed` counts it against them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import event_record
from zhenggai.core.models import Event

from .checks import Check, Finding, Scope, load_all
from .models import IntegrityFlag
from .policies import flags_for, may_take, privileged
from .workflow import (
    CONFIRM,
    DISMISS,
    LABELS,
    REOPEN,
    SOURCES,
    TARGETS,
    TO_ACCOUNTABILITY,
    VERBS,
    FlagStatus,
)

log = logging.getLogger(__name__)

CHUNK = 500
KEY_LENGTH = 200
T = TypeVar("T")


class FlagTransitionRefused(DomainError):
    code = "transition_refused"


@dataclass
class RunResult:
    """What one run did: the checks that ran, those that failed (code → error), findings, new flags,
    flags found again and flags no longer found."""

    checks: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    found: int = 0
    new: int = 0
    again: int = 0
    gone: int = 0
    new_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"checks": self.checks, "failed": self.failed, "found": self.found, "new": self.new,
                "again": self.again, "gone": self.gone}


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def checks_selected(codes: Iterable[str] | None = None) -> list[Check]:
    """The registered checks named by `codes` (all of them when None), in code order. An unknown code is
    refused (ValidationFailed)."""
    registry = load_all()
    if codes is None:
        return [registry[code] for code in sorted(registry)]
    wanted = list(dict.fromkeys(codes))
    unknown = [code for code in wanted if code not in registry]
    if unknown:
        raise ValidationFailed(_("未知的核查项：%(codes)s") % {"codes": "、".join(unknown)}, field="check")
    return [registry[code] for code in sorted(wanted)]


def _in_scope(scope: Scope, finding: Finding) -> bool:
    return scope.everything or scope.covers_task(finding.task_id) or scope.covers_complaint(finding.complaint_id)


def _task_id(finding: Finding) -> int | None:
    if finding.task_id is not None:
        return finding.task_id
    value = getattr(finding.subject, "task_id", None)
    return value if isinstance(value, int) else None


def _unit_id(subject: Any) -> int | None:
    """The unit a subject names: a report's or application's unit, an evidence file's uploading unit, a
    complaint's lead unit. None when the subject names none (the task's units then stand for it)."""
    attributes = ("lead_unit_id",) if subject._meta.model_name == "complaint" else ("unit_id", "organization_id")
    for attribute in attributes:
        value = getattr(subject, attribute, None)
        if isinstance(value, int):
            return value
    return None


def _subject_repr(subject: Any) -> str:
    try:
        return str(subject)[:255]
    except Exception:  # a subject whose __str__ needs a missing relation: its kind and id say enough
        return ""


def _scope_filter(scope: Scope) -> Q | None:
    """The flags a scoped run covers (None: everything)."""
    if scope.everything:
        return None
    condition = Q(pk__in=[])
    if scope.task_ids:
        condition |= Q(task_id__in=list(scope.task_ids))
    if scope.complaint_ids:
        condition |= Q(complaint_id__in=list(scope.complaint_ids))
    return condition


def _collect(scope: Scope, selected: list[Check], result: RunResult) -> dict[tuple[str, str], Finding]:
    findings: dict[tuple[str, str], Finding] = {}
    for check in selected:
        try:
            with transaction.atomic():  # a failing query must not break the caller's transaction
                produced = list(check(scope))
        except Exception as exc:
            log.exception("integrity check %s failed", check.code)
            result.failed[check.code] = f"{type(exc).__name__}: {exc}"[:500]
            continue
        result.checks.append(check.code)
        for finding in produced:
            if _in_scope(scope, finding):
                findings[(check.code, finding.key[:KEY_LENGTH])] = finding
    result.found = len(findings)
    return findings


def _regions(findings: Iterable[Finding]) -> tuple[dict[int, int], dict[int, int]]:
    """task id → region id, complaint id → region id (its inspection's target region) for the findings."""
    from zhenggai.complaints.models import Complaint
    from zhenggai.rectification.models import Task

    task_ids = sorted({t for f in findings if (t := _task_id(f)) is not None})
    complaint_ids = sorted({f.complaint_id for f in findings if f.complaint_id is not None})
    tasks: dict[int, int] = {}
    for chunk in _chunks(task_ids):
        tasks.update(Task.objects.filter(pk__in=chunk).values_list("pk", "region_id"))
    complaints: dict[int, int] = {}
    for chunk in _chunks(complaint_ids):
        complaints.update(Complaint.objects.filter(pk__in=chunk).values_list("pk", "inspection__target_region_id"))
    return tasks, complaints


def integrity_run(*, scope: Scope, checks: Iterable[str] | None = None, actor: Any) -> RunResult:
    """Run the checks over `scope` and bring the flags up to date (see the module's rules). Only the system
    actor (jobs, commands, the demo) and superusers run checks. Returns what the run did."""
    if not privileged(actor):
        raise PermissionDenied(_("只有系统可以运行真实性核查。"))
    selected = checks_selected(checks)
    result = RunResult()
    findings = _collect(scope, selected, result)
    if not result.checks:
        return result
    now = timezone.now()
    with transaction.atomic():
        existing: dict[tuple[str, str], IntegrityFlag] = {}
        for code in result.checks:
            keys = [key for (c, key) in findings if c == code]
            for key_chunk in _chunks(keys):
                for flag in IntegrityFlag.objects.filter(check_code=code, key__in=key_chunk):
                    existing[(code, flag.key)] = flag

        # flags of the scope that were found last time but not now
        covered = IntegrityFlag.objects.filter(check_code__in=result.checks, still_found=True)
        condition = _scope_filter(scope)
        if condition is not None:
            covered = covered.filter(condition)
        found_ids = {flag.pk for flag in existing.values()}
        gone = [pk for pk in covered.values_list("pk", flat=True) if pk not in found_ids]
        for chunk in _chunks(gone):
            IntegrityFlag.objects.filter(pk__in=chunk).update(still_found=False)
        result.gone = len(gone)

        # flags found again: new reason and data where they changed, last_found and still_found always
        changed, unchanged = [], []
        for ident, flag in existing.items():
            finding = findings[ident]
            subject_repr = _subject_repr(finding.subject)
            if (flag.reason, flag.evidence, flag.subject_repr) != (finding.reason, finding.evidence, subject_repr):
                flag.reason, flag.evidence, flag.subject_repr = str(finding.reason), finding.evidence, subject_repr
                flag.last_found, flag.still_found = now, True
                changed.append(flag)
            else:
                unchanged.append(flag.pk)
        IntegrityFlag.objects.bulk_update(changed, ["reason", "evidence", "subject_repr", "last_found", "still_found"],
                                          batch_size=CHUNK)
        for chunk in _chunks(unchanged):
            IntegrityFlag.objects.filter(pk__in=chunk).update(last_found=now, still_found=True)
        result.again = len(existing)

        new_flags = _new_flags({k: f for k, f in findings.items() if k not in existing}, now)
        created = _create(new_flags)
        for flag in created:
            event_record(actor=actor, verb=VERBS["flagged"], obj=flag, data=_flag_data(flag))
        result.new = len(created)
        result.new_ids = [flag.pk for flag in created]
    return result


def _new_flags(findings: dict[tuple[str, str], Finding], now: dt.datetime) -> list[IntegrityFlag]:
    task_regions, complaint_regions = _regions(findings.values())
    flags = []
    for (code, key), finding in findings.items():
        task_id = _task_id(finding)
        region_id = task_regions.get(task_id) if task_id is not None else None
        if region_id is None and finding.complaint_id is not None:
            region_id = complaint_regions.get(finding.complaint_id)
        if region_id is None:
            log.warning("integrity check %s: finding %s names no task or complaint; skipped", code, key)
            continue
        subject = finding.subject
        flags.append(IntegrityFlag(
            check_code=code, key=key, status=FlagStatus.OPEN, reason=str(finding.reason), evidence=finding.evidence,
            task_id=task_id if task_id in task_regions else None,
            complaint_id=finding.complaint_id if finding.complaint_id in complaint_regions else None,
            subject_kind=subject._meta.model_name or "", subject_id=subject.pk or 0,
            subject_repr=_subject_repr(subject), region_id=region_id, unit_id=_unit_id(subject),
            first_found=now, last_found=now, still_found=True,
        ))
    return flags


def _create(flags: list[IntegrityFlag]) -> list[IntegrityFlag]:
    """Insert the new flags in bulk. When another run inserted one of them meanwhile, fall back to one at a
    time and keep only those this run created."""
    if not flags:
        return []
    try:
        with transaction.atomic():
            created = IntegrityFlag.objects.bulk_create(flags, batch_size=CHUNK)
        if all(flag.pk is not None for flag in created):
            return created
        keys = [(f.check_code, f.key) for f in flags]
        return [f for f in _reload(keys)]
    except IntegrityError:
        created = []
        for flag in flags:
            flag.pk = None
            try:
                with transaction.atomic():
                    flag.save(force_insert=True)
            except IntegrityError:
                continue
            created.append(flag)
        return created


def _reload(keys: list[tuple[str, str]]) -> list[IntegrityFlag]:
    found: list[IntegrityFlag] = []
    by_code: dict[str, list[str]] = {}
    for code, key in keys:
        by_code.setdefault(code, []).append(key)
    for code, code_keys in by_code.items():
        for chunk in _chunks(code_keys):
            found += IntegrityFlag.objects.filter(check_code=code, key__in=chunk)
    return found


def _flag_data(flag: IntegrityFlag) -> dict[str, Any]:
    return {"check": flag.check_code, "key": flag.key, "reason": flag.reason, "evidence": flag.evidence,
            "task": flag.task_id, "complaint": flag.complaint_id, "subject": [flag.subject_kind, flag.subject_id],
            "unit": flag.unit_id, "region": flag.region_id}


# ── decisions ──


def _lock(flag: IntegrityFlag, actor: Any, name: str) -> tuple[IntegrityFlag, str]:
    """Lock the flag and check its state and the actor's right. Hidden flags answer NotFound, as missing
    ones do; a wrong state is refused before the role is looked at."""
    if not flags_for(actor).filter(pk=flag.pk).exists():
        raise NotFound()
    locked = IntegrityFlag.objects.select_for_update(of=("self",)).select_related("region").get(pk=flag.pk)
    if locked.status not in SOURCES[name]:
        raise FlagTransitionRefused(_("该疑点当前状态为“%(status)s”，不能%(action)s。") % {
            "status": locked.get_status_display(), "action": LABELS[name]})
    if name == TO_ACCOUNTABILITY and locked.accountability_case_id is not None:
        raise FlagTransitionRefused(_("该疑点已转为问责。"))
    if not may_take(actor, name, locked):
        raise PermissionDenied(_("您没有权限对该疑点执行“%(action)s”。") % {"action": LABELS[name]})
    return locked, locked.status


def flag_units(flag: IntegrityFlag) -> list[int]:
    """The units a confirmed flag counts against: the unit it names, else the task's implementing units,
    else the complaint's lead unit."""
    if flag.unit_id is not None:
        return [flag.unit_id]
    if flag.task_id is not None:
        from zhenggai.rectification.models import Task

        return sorted(Task.implementing_units.through.objects.filter(task_id=flag.task_id)
                      .values_list("organization_id", flat=True))
    if flag.complaint_id is not None:
        from zhenggai.complaints.models import Complaint

        lead = Complaint.objects.filter(pk=flag.complaint_id).values_list("lead_unit_id", flat=True).first()
        return [lead] if lead else []
    return []


def _decide(*, actor: Any, flag: IntegrityFlag, name: str, reason: str, required: bool) -> IntegrityFlag:
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(_("请填写理由。"), field="reason")
    with transaction.atomic():
        locked, before = _lock(flag, actor, name)
        locked.status = TARGETS[name]
        if name == REOPEN:
            locked.decided_by, locked.decided_at, locked.decision_reason = None, None, ""
        else:
            locked.decided_by, locked.decided_at, locked.decision_reason = actor, timezone.now(), reason
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        data: dict[str, Any] = {"changes": {"status": [before, locked.status]}, "reason": reason,
                                "check": locked.check_code, "task": locked.task_id, "complaint": locked.complaint_id,
                                "region": locked.region_id}
        if name == CONFIRM:
            data["units"] = flag_units(locked)
            data["on"] = timezone.localdate().isoformat()
        event_record(actor=actor, verb=VERBS[name], obj=locked, data=data)
    flag.refresh_from_db()
    return flag


def integrity_flag_confirm(*, actor: Any, flag: IntegrityFlag, reason: str = "") -> IntegrityFlag:
    """The office confirms an open flag: the rectification behind it is fake, perfunctory or superficial
    (or a blanket shutdown). `integrity.confirmed` names the units it counts against."""
    return _decide(actor=actor, flag=flag, name=CONFIRM, reason=reason, required=False)


def integrity_flag_dismiss(*, actor: Any, flag: IntegrityFlag, reason: str) -> IntegrityFlag:
    """The office dismisses an open flag, saying why (required). Found again later, it stays dismissed."""
    return _decide(actor=actor, flag=flag, name=DISMISS, reason=reason, required=True)


def integrity_flag_reopen(*, actor: Any, flag: IntegrityFlag, reason: str) -> IntegrityFlag:
    """The office reopens a dismissed flag (dismissed by mistake, or new facts), saying why (required)."""
    return _decide(actor=actor, flag=flag, name=REOPEN, reason=reason, required=True)


def confirmation_event(flag: IntegrityFlag) -> Event | None:
    """The latest `integrity.confirmed` event of the flag."""
    return (Event.objects.filter(object_type="integrityflag", object_id=str(flag.pk), verb=VERBS[CONFIRM])
            .order_by("-created_at", "-id").first())


@dataclass
class CaseInput:
    """What the discipline body writes when turning a flag into an accountability case."""

    title: str
    date: dt.date
    measures: list[str]
    people: list[tuple[str, str]]
    description: str = ""
    lead_transferred_to: str = ""


def integrity_flag_to_accountability(*, actor: Any, flag: IntegrityFlag, case: CaseInput) -> IntegrityFlag:
    """The discipline body of the flag's region (or above) turns a confirmed flag into an accountability
    case: the case is recorded by the assessment app's service (its validation and event), linked to the
    flag's task or complaint and answering the flag's `integrity.confirmed` event; the flag keeps the link
    and writes `integrity.to_accountability`. A flag becomes at most one case."""
    from zhenggai.assessment.services import CaseData, accountability_case_save

    with transaction.atomic():
        locked, _before = _lock(flag, actor, TO_ACCOUNTABILITY)
        tasks = [locked.task] if locked.task_id is not None else []
        complaints = [locked.complaint] if locked.complaint_id is not None else []
        saved = accountability_case_save(actor=actor, region=locked.region, data=CaseData(
            title=case.title, date=case.date, description=case.description, measures=list(case.measures),
            people=list(case.people), lead_transferred_to=case.lead_transferred_to, tasks=tasks,
            complaints=complaints, proposal_event=confirmation_event(locked)))
        locked.accountability_case = saved
        locked.save(update_fields=["accountability_case"])
        event_record(actor=actor, verb=VERBS[TO_ACCOUNTABILITY], obj=locked, data={
            "case": saved.pk, "check": locked.check_code, "task": locked.task_id, "complaint": locked.complaint_id})
    flag.refresh_from_db()
    return flag
