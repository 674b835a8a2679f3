"""定期调度 (DOMAIN §2, §6, §9): dispatch rounds, progress reports and the 序时进度 judgement.

Rules:
- The office of a region (or the system actor of the schedule) opens a round. A monthly round snapshots
  every open task (未启动 / 整改中 / 申请验收) of the region and its sub-regions, or of one plan; a weekly
  round takes the hot tasks the office selects. Each implementing unit of each task then owes one report
  (`ProgressReport`, one per round, task and unit) by the due date.
- A report is drafted by unit staff (or head) whose organization is the implementing unit or contains it.
  A new draft starts from the unit's last approved report of the task, so only changes are typed
  (基层减负, DOMAIN §9). Draft → submitted → approved, or → returned (with a reason) → draft again.
- The unit head approves — never the person who wrote the report (`drafted_by` is whoever last saved
  its content). An approval after the round's due date marks the report late. The first approved report
  of a task that has not started starts it.
- Reports outside a round ("ad hoc", round=None) follow the same steps.
Every change locks its row, writes its event on the task's chain (rounds: on the round's chain) in the
same transaction and sends notifications after commit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Region, Role, User
from zhenggai.accounts.policies import is_system_actor, user_has_role, user_region
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import diff, event_record
from zhenggai.core.templatetags.zg import cn_date
from zhenggai.core.workdays import add_working_days, is_working_day
from zhenggai.inspections.models import Plan

from .models import DispatchRound, Milestone, ProgressReport, Task
from .warnings import task_warning_refresh, today, warnings_refresh_all
from .workflow import OPEN_STATUSES, ScheduleJudgement, TaskStatus

REPORT_FIELDS = ("stage", "description", "percent", "next_steps")
EDITABLE = (ProgressReport.Status.DRAFT, ProgressReport.Status.RETURNED)
UNIT_REPORTER_ROLES = (Role.UNIT_STAFF, Role.UNIT_HEAD)


class ReportRefused(DomainError):
    code = "report_refused"


def due_working_days() -> int:
    return int(getattr(settings, "ZHENGGAI_ROUND_DUE_WORKING_DAYS", 5))


# ---------------------------------------------------------------- who may do what


def privileged(user: Any) -> bool:
    return is_system_actor(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


def is_office_of(user: Any, region: Region) -> bool:
    """The office of `region` or of a region above it (or the system actor / a superuser)."""
    if privileged(user):
        return True
    own = user_region(user)
    return user_has_role(user, Role.OFFICE) and own is not None and region.path.startswith(own.path)


def reporting_units(user: Any, task: Task) -> list[Organization]:
    """The implementing units of `task` for which `user` may write reports: unit staff or head whose
    organization is that unit or contains it (the system actor and superusers: every unit)."""
    units = list(task.implementing_units.all())
    if privileged(user):
        return units
    org = getattr(user, "organization", None)
    if org is None or not user_has_role(user, *UNIT_REPORTER_ROLES):
        return []
    return [u for u in units if u.path.startswith(org.path)]


def _speaks_for(user: Any, unit: Organization, *roles: str) -> bool:
    if privileged(user):
        return True
    org = getattr(user, "organization", None)
    return org is not None and user_has_role(user, *roles) and unit.path.startswith(org.path)


def may_approve(user: Any, report: ProgressReport) -> bool:
    """A unit head of the report's unit (or of a unit above it), who did not write the report."""
    return _speaks_for(user, report.unit, Role.UNIT_HEAD) and report.drafted_by_id != getattr(user, "pk", None)


def may_return(user: Any, report: ProgressReport) -> bool:
    return _speaks_for(user, report.unit, Role.UNIT_HEAD)


def may_write(user: Any, report: ProgressReport) -> bool:
    return _speaks_for(user, report.unit, *UNIT_REPORTER_ROLES)


# ---------------------------------------------------------------- recipients


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def recipients_by_unit(units: Iterable[Organization], roles: Sequence[str] = UNIT_REPORTER_ROLES) -> dict[int, list[User]]:
    """For each unit, the people to tell: the active users holding `roles` in the unit itself or, when it
    has none, in the nearest unit above it that has (one query for all units)."""
    units = list({u.pk: u for u in units}.values())
    paths = {p for u in units for p in _ancestor_paths(u.path)}
    users = (
        User.objects.filter(is_active=True, organization__path__in=paths, roles__role__in=roles)
        .select_related("organization")
        .distinct()
    )
    by_path: dict[str, list[User]] = defaultdict(list)
    for user in users:
        by_path[user.organization.path].append(user)  # type: ignore[union-attr]
    found: dict[int, list[User]] = {}
    for unit in units:
        for path in reversed(_ancestor_paths(unit.path)):
            if by_path.get(path):
                found[unit.pk] = sorted(by_path[path], key=lambda u: u.pk)
                break
    return found


def _notify(**kwargs: Any) -> int:
    from zhenggai.notifications.services import notify

    return notify(**kwargs)


# ---------------------------------------------------------------- rounds


def _round_url(rnd: DispatchRound) -> str:
    from django.urls import reverse

    return reverse("round_list")  # units find their 填报 buttons there


def _default_title(kind: str, period_start: dt.date) -> str:
    if kind == DispatchRound.Kind.WEEKLY:
        return _("%(year)s年%(month)s月%(day)s日起重点任务周调度") % {
            "year": period_start.year, "month": period_start.month, "day": period_start.day}
    return _("%(year)s年%(month)s月调度") % {"year": period_start.year, "month": period_start.month}


def round_open(
    *, actor: Any, region: Region, kind: str, period_start: dt.date, due_date: dt.date,
    plan: Plan | None = None, tasks: Iterable[Task] | None = None, title: str | None = None, auto_key: str = "",
) -> DispatchRound:
    """Open a dispatch round in `region`. Only the office of the region (or the system actor) may.

    monthly: snapshots every open task of the region and its sub-regions (or of `plan`);
    weekly: the selected `tasks`, each open and located in the region.
    Writes `round.opened` on the round's chain; after commit tells the people of every implementing unit
    (one message each, key ``round:<pk>:open:<user>``). `auto_key` is set by the schedule; the unique
    (region, auto_key) constraint makes the schedule idempotent (IntegrityError on a second opening).
    """
    if not is_office_of(actor, region):
        raise PermissionDenied(_("只有本区域的督察整改办可以发起调度。"))
    if kind not in DispatchRound.Kind.values:
        raise ValidationFailed(_("调度类型不正确。"), field="kind")
    if due_date < period_start:
        raise ValidationFailed(_("报送截止日期不能早于调度期起始日期。"), field="due_date")
    if plan is not None and not plan.inspection.target_region.path.startswith(region.path):
        raise ValidationFailed(_("整改方案不属于该区域。"), field="plan")
    in_region = Task.objects.filter(region__path__startswith=region.path, status__in=OPEN_STATUSES)
    if plan is not None:
        in_region = in_region.filter(plan=plan)
    if kind == DispatchRound.Kind.WEEKLY:
        chosen = {t.pk for t in (tasks or [])}
        if not chosen:
            raise ValidationFailed(_("周调度需要选择重点任务。"), field="tasks")
        selected = list(in_region.filter(pk__in=chosen))
        if len(selected) != len(chosen):
            raise ValidationFailed(_("所选任务须为本区域未销号的任务。"), field="tasks")
    else:
        selected = list(in_region)
    if not selected:
        raise ValidationFailed(_("没有需要调度的未销号任务。"))
    with transaction.atomic():
        rnd = DispatchRound.objects.create(
            title=(title or "").strip() or _default_title(kind, period_start), kind=kind, region=region, plan=plan,
            period_start=period_start, due_date=due_date, opened_by=actor, auto_key=auto_key,
        )
        rnd.tasks.set(selected)
        event_record(actor=actor, verb="round.opened", obj=rnd, data={
            "kind": kind, "period_start": period_start, "due_date": due_date, "plan": plan.pk if plan else None,
            "tasks": sorted(t.pk for t in selected), "auto_key": auto_key,
        })
        transaction.on_commit(lambda: _notify_opened(rnd))
    return rnd


def _notify_opened(rnd: DispatchRound) -> int:
    tasks = list(rnd.tasks.prefetch_related("implementing_units"))
    units = [u for t in tasks for u in t.implementing_units.all()]
    per_user: dict[int, tuple[User, int]] = {}
    recipients = recipients_by_unit(units)
    for task in tasks:
        for unit in task.implementing_units.all():
            for user in recipients.get(unit.pk, []):
                per_user[user.pk] = (user, per_user.get(user.pk, (user, 0))[1] + 1)
    created = 0
    for user, count in per_user.values():
        created += _notify(
            users=[user], kind="round_opened", key=f"round:{rnd.pk}:open:{user.pk}", url=_round_url(rnd),
            title=_("%(title)s：请报送整改进展") % {"title": rnd.title},
            body=_("请于%(due)s前报送 %(n)s 项任务的整改进展；只需修改与上次相比变化的内容。") % {
                "due": cn_date(rnd.due_date), "n": count},
        )
    return created


def round_close(*, actor: Any, round: DispatchRound) -> DispatchRound:  # noqa: A002 - the domain's word
    """进行中 → 已结束, by the office. Reports still arrive afterwards and are marked late."""
    with transaction.atomic():
        locked = DispatchRound.objects.select_for_update().select_related("region").get(pk=round.pk)
        if not is_office_of(actor, locked.region):
            raise PermissionDenied(_("只有本区域的督察整改办可以结束调度。"))
        if locked.status != DispatchRound.Status.OPEN:
            raise ValidationFailed(_("该调度已经结束。"))
        locked.status = DispatchRound.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        event_record(actor=actor, verb="round.closed", obj=locked,
                     data={"changes": {"status": [DispatchRound.Status.OPEN, DispatchRound.Status.CLOSED]}})
        # a closed round no longer counts as "report missing" for its tasks' warnings
        warnings_refresh_all(queryset=locked.tasks.all(), actor=actor)
    return locked


def round_outstanding(rnd: DispatchRound) -> dict[Organization, list[Task]]:
    """The units that still owe an approved report in the round, with the tasks they owe it for."""
    approved = set(
        ProgressReport.objects.filter(round=rnd, status=ProgressReport.Status.APPROVED).values_list("task_id", "unit_id")
    )
    owed: dict[Organization, list[Task]] = defaultdict(list)
    for task in rnd.tasks.prefetch_related("implementing_units").order_by("plan_id", "number"):
        for unit in task.implementing_units.all():
            if (task.pk, unit.pk) not in approved:
                owed[unit].append(task)
    return dict(owed)


def round_remind(*, actor: Any, round: DispatchRound, on: dt.date | None = None) -> int:  # noqa: A002
    """Remind every unit that has not had its reports approved yet (one digest per person and unit:
    key ``round:<pk>:remind:<unit>:<day>``, so reminding twice on one day tells nobody twice).
    Returns the number of new messages; writes `round.reminded` on the round's chain when any was sent."""
    if not is_office_of(actor, round.region):
        raise PermissionDenied(_("只有本区域的督察整改办可以发送提醒。"))
    on = on or today()
    owed = round_outstanding(round)
    recipients = recipients_by_unit(owed)
    due = cn_date(round.due_date)
    created = 0
    reminded = []
    for unit, tasks in owed.items():
        n = _notify(
            users=recipients.get(unit.pk, []), kind="round_reminder", url=_round_url(round),
            key=f"round:{round.pk}:remind:{unit.pk}:{on:%Y%m%d}",
            title=_("%(title)s：%(unit)s还有 %(n)s 项进展未报送") % {"title": round.title, "unit": unit.name,
                                                               "n": len(tasks)},
            body=_("报送截止：%(due)s。\n%(tasks)s") % {"due": due, "tasks": "\n".join(str(t) for t in tasks)},
        )
        if n:
            reminded.append(unit.pk)
        created += n
    if created:
        event_record(actor=actor, verb="round.reminded", obj=round,
                     data={"on": on, "units": sorted(reminded), "messages": created})
    return created


def first_working_day_of_month(on: dt.date) -> bool:
    """True when `on` is a working day and every earlier day of its month is not."""
    if not is_working_day(on):
        return False
    day = on.replace(day=1)
    while day < on:
        if is_working_day(day):
            return False
        day += dt.timedelta(days=1)
    return True


def round_open_monthly_if_due(*, on: dt.date) -> list[DispatchRound]:
    """The schedule: on the first working day of a month, open the month's round in every region that has
    an office, due N working days later (setting ZHENGGAI_ROUND_DUE_WORKING_DAYS, default 5; the first
    day counts). Idempotent: the round of a month carries auto_key ``monthly-YYYY-MM``. Regions without
    open tasks are skipped. Returns the rounds opened now."""
    from zhenggai.core.actors import system_actor

    if not first_working_day_of_month(on):
        return []
    actor = system_actor()
    key = f"monthly-{on:%Y-%m}"
    due = add_working_days(on, due_working_days())
    region_ids = (
        Organization.objects.filter(kind=Organization.Kind.OFFICE, is_active=True).values_list("region_id", flat=True)
    )
    opened = []
    for region in Region.objects.filter(pk__in=region_ids).order_by("path"):
        if DispatchRound.objects.filter(region=region, auto_key=key).exists():
            continue
        if not Task.objects.filter(region__path__startswith=region.path, status__in=OPEN_STATUSES).exists():
            continue
        try:
            with transaction.atomic():
                opened.append(round_open(actor=actor, region=region, kind=DispatchRound.Kind.MONTHLY,
                                         period_start=on, due_date=due, auto_key=key))
        except IntegrityError:
            continue  # another worker opened it a moment ago
    return opened


# ---------------------------------------------------------------- reports


def last_approved_report(task: Task, unit: Organization) -> ProgressReport | None:
    return (
        ProgressReport.objects.filter(task=task, unit=unit, status=ProgressReport.Status.APPROVED)
        .order_by("-approved_at", "-id")
        .first()
    )


def report_prefill(task: Task, unit: Organization) -> dict[str, Any]:
    """What a new report starts from: the unit's last approved report of the task (DOMAIN §9)."""
    last = last_approved_report(task, unit)
    if last is None:
        return {"stage": ProgressReport.Stage.ADVANCING if task.status != TaskStatus.NOT_STARTED
                else ProgressReport.Stage.PREPARING, "description": "", "percent": 0, "next_steps": ""}
    return {name: getattr(last, name) for name in REPORT_FIELDS}


def _clean(data: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: data.get(name, base.get(name)) for name in REPORT_FIELDS}
    if values["stage"] not in ProgressReport.Stage.values:
        raise ValidationFailed(_("请选择整改阶段。"), field="stage")
    try:
        values["percent"] = int(values["percent"])
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("完成比例须为 0 到 100 之间的整数。"), field="percent") from exc
    if not 0 <= values["percent"] <= 100:
        raise ValidationFailed(_("完成比例须为 0 到 100 之间的整数。"), field="percent")
    values["description"] = (values["description"] or "").strip()
    values["next_steps"] = (values["next_steps"] or "").strip()
    return values


def _pick_unit(actor: Any, task: Task, unit: Organization | None) -> Organization:
    allowed = reporting_units(actor, task)
    if unit is not None:
        if unit.pk not in {u.pk for u in allowed}:
            raise NotFound()
        return unit
    if not allowed:
        raise NotFound()
    org_id = getattr(actor, "organization_id", None)
    return next((u for u in allowed if u.pk == org_id), allowed[0])


def _report_data(report: ProgressReport) -> dict[str, Any]:
    return {"report": report.pk, "round": report.round_id, "unit": report.unit_id}


def report_save_draft(
    *, actor: Any, round: DispatchRound | None, task: Task, data: Mapping[str, Any],  # noqa: A002
    files: Sequence[Any] = (), unit: Organization | None = None, evidence_category: str = "other",
) -> ProgressReport:
    """Create or edit the report of `unit` (default: the actor's own implementing unit) on `task` in
    `round` (None: a report outside any round). A new report starts from the unit's last approved one:
    fields missing from `data` keep that value. A returned report becomes a draft again. Submitted and
    approved reports cannot be edited. `files` become evidence of the task (category `evidence_category`)
    and are attached to the report; `data["remove_evidence"]` detaches evidence ids.

    Refused (NotFound) when the actor may not report for the unit or the task is not in the round."""
    from zhenggai.evidence.services import evidence_create

    unit = _pick_unit(actor, task, unit)
    if task.status == TaskStatus.CLOSED:
        raise ReportRefused(_("任务已销号，不再报送进展。"))
    if round is not None and not round.tasks.filter(pk=task.pk).exists():
        raise NotFound()
    with transaction.atomic():
        report = _lock_current(round, task, unit)
        created = report is None
        if report is None:
            base = report_prefill(task, unit)
        else:
            if report.status not in EDITABLE:
                raise ReportRefused(
                    _("进展状态为“%(status)s”，不能修改。") % {"status": report.get_status_display()})
            base = {name: getattr(report, name) for name in REPORT_FIELDS}
        values = _clean(data, base)
        if report is None:
            report = _create(round, task, unit, actor, values)
        before = {**base, "status": report.status} if not created else {"status": ""}
        for name, value in values.items():
            setattr(report, name, value)
        report.status = ProgressReport.Status.DRAFT
        report.drafted_by = actor
        report.save()
        removed = [int(x) for x in data.get("remove_evidence") or () if str(x).isdigit()]
        if removed:
            report.evidence.remove(*report.evidence.filter(pk__in=removed))
        added = [evidence_create(actor=actor, task=task, file=f, category=evidence_category) for f in files]
        if added:
            report.evidence.add(*added)
        changes = diff(before, {**values, "status": report.status})
        if created or changes or added or removed:
            event_record(actor=actor, verb="report.drafted" if created else "report.updated", obj=task, data={
                **_report_data(report), "changes": changes,
                "evidence_added": [e.pk for e in added], "evidence_removed": removed,
            })
    return report


def _lock_current(rnd: DispatchRound | None, task: Task, unit: Organization) -> ProgressReport | None:
    """The report being written by the unit: in a round, the one report of (round, task, unit); outside
    rounds, the unit's latest report of the task that is not approved yet."""
    qs = ProgressReport.objects.select_for_update().filter(task=task, unit=unit)
    if rnd is not None:
        return qs.filter(round=rnd).first()
    return qs.filter(round__isnull=True).exclude(status=ProgressReport.Status.APPROVED).order_by("-id").first()


def _create(rnd: DispatchRound | None, task: Task, unit: Organization, actor: Any,
            values: dict[str, Any]) -> ProgressReport:
    try:
        with transaction.atomic():
            return ProgressReport.objects.create(round=rnd, task=task, unit=unit, drafted_by=actor, **values)
    except IntegrityError:
        # Two people started the unit's report at the same moment: continue with the one that won.
        existing = _lock_current(rnd, task, unit)
        if existing is None:
            raise
        if existing.status not in EDITABLE:
            raise ReportRefused(_("进展状态为“%(status)s”，不能修改。") % {"status": existing.get_status_display()}) from None
        return existing


def _lock(report: ProgressReport) -> ProgressReport:
    return (ProgressReport.objects.select_for_update(of=("self",)).select_related("round", "unit", "task")
            .get(pk=report.pk))


def report_submit(*, actor: Any, report: ProgressReport) -> ProgressReport:
    """草稿/已退回 → 待审核, by unit staff (or head) of the unit. The description must be filled in.
    After commit the unit heads are told (not the writer)."""
    with transaction.atomic():
        locked = _lock(report)
        if not may_write(actor, locked):
            raise NotFound()
        if locked.status not in EDITABLE:
            raise ReportRefused(_("进展状态为“%(status)s”，不能提交。") % {"status": locked.get_status_display()})
        if not locked.description.strip():
            raise ValidationFailed(_("请填写整改进度描述。"), field="description")
        before = locked.status
        locked.status = ProgressReport.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at", "updated_at"])
        event_record(actor=actor, verb="report.submitted", obj=locked.task, data={
            **_report_data(locked), "changes": {"status": [before, locked.status]}, "percent": locked.percent})
        transaction.on_commit(lambda: _notify_heads(locked))
    return locked


def report_save_and_submit(*, actor: Any, round: DispatchRound | None, task: Task,  # noqa: A002
                           data: Mapping[str, Any], files: Sequence[Any] = (), unit: Organization | None = None,
                           evidence_category: str = "other") -> ProgressReport:
    """Save the typed changes and submit in one step (the 提交审核 button); all or nothing."""
    with transaction.atomic():
        report = report_save_draft(actor=actor, round=round, task=task, data=data, files=files, unit=unit,
                                   evidence_category=evidence_category)
        return report_submit(actor=actor, report=report)


def _notify_heads(report: ProgressReport) -> int:
    heads = [u for u in recipients_by_unit([report.unit], roles=(Role.UNIT_HEAD,)).get(report.unit_id, [])
             if u.pk != report.drafted_by_id]
    stamp = int(report.submitted_at.timestamp()) if report.submitted_at else 0
    return _notify(users=heads, kind="report_submitted", key=f"report:{report.pk}:submitted:{stamp}",
                   url=_report_url(report), title=_("待审核的整改进展：%(task)s") % {"task": report.task.short_title})


def _report_url(report: ProgressReport) -> str:
    from django.urls import reverse

    if report.round_id:
        url = reverse("report_edit", kwargs={"round_pk": report.round_id, "task_pk": report.task_id})
    else:
        url = reverse("report_adhoc", kwargs={"task_pk": report.task_id})
    return f"{url}?unit={report.unit_id}"


def report_approve(*, actor: Any, report: ProgressReport) -> ProgressReport:
    """待审核 → 已报送, by a unit head of the unit who did not write the report. Late when approved after
    the round's due date. The first approved report of a task that has not started starts it."""
    with transaction.atomic():
        locked = _lock(report)
        if not _speaks_for(actor, locked.unit, *UNIT_REPORTER_ROLES):
            raise NotFound()
        if not _speaks_for(actor, locked.unit, Role.UNIT_HEAD):
            raise PermissionDenied(_("只有本单位负责人可以审核整改进展。"))
        if locked.drafted_by_id == actor.pk:
            raise PermissionDenied(_("不能审核自己填报的整改进展，请由本单位其他负责人审核。"))
        if locked.status != ProgressReport.Status.SUBMITTED:
            raise ReportRefused(_("进展状态为“%(status)s”，不能审核。") % {"status": locked.get_status_display()})
        now = timezone.now()
        locked.status = ProgressReport.Status.APPROVED
        locked.approved_by = actor
        locked.approved_at = now
        locked.is_late = bool(locked.round and timezone.localdate(now) > locked.round.due_date)
        locked.return_reason = ""
        locked.save(update_fields=["status", "approved_by", "approved_at", "is_late", "return_reason", "updated_at"])
        event_record(actor=actor, verb="report.approved", obj=locked.task, data={
            **_report_data(locked), "changes": {"status": [ProgressReport.Status.SUBMITTED, locked.status]},
            "stage": locked.stage, "percent": locked.percent, "is_late": locked.is_late})
        from .transitions import task_start_if_needed

        if not task_start_if_needed(actor=actor, task=locked.task):
            task_warning_refresh(locked.task, actor=actor)
    report.refresh_from_db()
    return locked


def report_return(*, actor: Any, report: ProgressReport, reason: str) -> ProgressReport:
    """待审核 → 已退回, by a unit head of the unit, with a reason the writer sees (and is told of)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(_("退回必须写明理由。"), field="reason")
    with transaction.atomic():
        locked = _lock(report)
        if not _speaks_for(actor, locked.unit, *UNIT_REPORTER_ROLES):
            raise NotFound()
        if not may_return(actor, locked):
            raise PermissionDenied(_("只有本单位负责人可以退回整改进展。"))
        if locked.status != ProgressReport.Status.SUBMITTED:
            raise ReportRefused(_("进展状态为“%(status)s”，不能退回。") % {"status": locked.get_status_display()})
        locked.status = ProgressReport.Status.RETURNED
        locked.return_reason = reason
        locked.save(update_fields=["status", "return_reason", "updated_at"])
        event_record(actor=actor, verb="report.returned", obj=locked.task, data={
            **_report_data(locked), "changes": {"status": [ProgressReport.Status.SUBMITTED, locked.status]},
            "reason": reason})
        stamp = int(timezone.now().timestamp())
        transaction.on_commit(lambda: _notify(
            users=[locked.drafted_by], kind="report_returned", key=f"report:{locked.pk}:returned:{stamp}",
            url=_report_url(locked), body=reason,
            title=_("整改进展被退回：%(task)s") % {"task": locked.task.short_title}))
    report.refresh_from_db()
    return locked


# ---------------------------------------------------------------- 序时进度

TOLERANCE = 10


def _start_date(task: Task) -> dt.date:
    plan = task.plan
    return plan.approved_date or plan.inspection.feedback_date or timezone.localdate(task.created_at)


def expected_percent(task: Task, on: dt.date, milestones: Sequence[Milestone] | None = None) -> float | None:
    """The share of the work that should be done on day `on` (序时进度), or None for a task without a
    deadline and without milestones (long-term work has no end to measure against).

    The curve runs through (start, 0 %), every milestone (date, percent) and, for a dated task whose
    deadline falls after the last milestone, (deadline, 100 %); linear between points, flat after the
    last one. Start: the plan's approval date, else the inspection's feedback date, else the day the
    task was created."""
    points = sorted(((m.date, float(m.percent)) for m in (milestones if milestones is not None
                                                        else task.milestones.all())), key=lambda p: p[0])
    if task.deadline is not None and (not points or task.deadline > points[-1][0]):
        points.append((task.deadline, 100.0))
    if not points:
        return None
    start = _start_date(task)
    if points[0][0] > start:
        points.insert(0, (start, 0.0))
    if on <= points[0][0]:
        return points[0][1]
    for (d0, p0), (d1, p1) in zip(points, points[1:], strict=False):
        if on <= d1:
            return p0 + (p1 - p0) * (on - d0).days / max((d1 - d0).days, 1)
    return points[-1][1]


def task_latest_percent(task: Task, reports: Iterable[ProgressReport] | None = None) -> int | None:
    """The task's progress: the mean of each implementing unit's latest approved percent (units that have
    not reported yet are left out); None before any approved report."""
    if reports is None:
        reports = ProgressReport.objects.filter(task=task, status=ProgressReport.Status.APPROVED)
    latest: dict[int, ProgressReport] = {}
    for r in reports:
        if r.status != ProgressReport.Status.APPROVED or r.approved_at is None:
            continue
        known = latest.get(r.unit_id)
        if known is None or (r.approved_at, r.pk) > (known.approved_at, known.pk):  # type: ignore[operator]
            latest[r.unit_id] = r
    if not latest:
        return None
    return round(sum(r.percent for r in latest.values()) / len(latest))


def schedule_judgement(task: Task, on: dt.date | None = None, latest_percent: int | None = None) -> str:
    """序时进度 (DOMAIN §3) of `task` on day `on`, as a `ScheduleJudgement` value.

    - not_started: the task has not started and has no approved report;
    - a task awaiting or past acceptance counts as 100 % done;
    - otherwise the latest approved percent (`latest_percent`, computed when not given; 0 before any
      report) is compared with `expected_percent`: more than 10 points below → behind, more than 10
      points above → ahead, else on_schedule;
    - a task without deadline and milestones (长期坚持) is on_schedule when each of its implementing
      units has an approved report in the latest round that includes the task (with no round yet: when
      it has any approved report), behind otherwise.
    """
    on = on or today()
    if latest_percent is None:
        latest_percent = task_latest_percent(task)
    if task.status == TaskStatus.NOT_STARTED and latest_percent is None:
        return ScheduleJudgement.NOT_STARTED
    if task.status not in (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS):
        latest_percent = 100
    expected = expected_percent(task, on)
    if expected is None:
        return ScheduleJudgement.ON_SCHEDULE if _reported_in_last_round(task, on) else ScheduleJudgement.BEHIND
    actual = latest_percent or 0
    if actual < expected - TOLERANCE:
        return ScheduleJudgement.BEHIND
    if actual > expected + TOLERANCE:
        return ScheduleJudgement.AHEAD
    return ScheduleJudgement.ON_SCHEDULE


def _reported_in_last_round(task: Task, on: dt.date) -> bool:
    last = task.rounds.filter(period_start__lte=on).order_by("-period_start", "-id").first()
    approved = ProgressReport.objects.filter(task=task, status=ProgressReport.Status.APPROVED)
    if last is None:
        return approved.exists()
    units = set(task.implementing_units.values_list("pk", flat=True))
    reported = set(approved.filter(round=last).values_list("unit_id", flat=True))
    return bool(units) and units <= reported
