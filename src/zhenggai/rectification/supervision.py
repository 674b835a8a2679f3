"""督办推进: supervision notices and the escalation ladder (DOMAIN §6).

Statuses of a notice (`SupervisionNotice.Status`):
- draft 待签发 → issued 已签发 (`notice_issue`, the office; a number such as 梁督整办〔2025〕12号 is assigned);
- issued → replied 已回复 (`notice_reply`, a unit head of the addressed unit or of a unit above it;
  a reply after the reply deadline is accepted and marked late);
- issued → escalated 已升级 (`escalation_run`, unanswered past the reply deadline: a stronger letter is
  drafted with `escalated_from`); an escalated notice may still be answered (late);
- draft / issued → cancelled 已撤销 (`notice_cancel`, the office).

The ladder (`escalation_run`, daily, as the system actor; idempotent through `SupervisionNotice.key`):
- an open task that entered yellow twice or more → a draft 督办单 (trigger yellow_twice, key yellow2:<task>);
- an open red task → a draft 督办函 (trigger red, key red:<task>:<red count>) and a draft 约谈建议 to the
  head of the same unit (key talk:<task>:<red count>);
- an open task that entered red twice or more → an accountability proposal: the event
  `task.accountability_proposed` and a message to the office and the discipline body;
- an issued 督办单/督办函 of an open task past its reply deadline without reply → escalated, and a draft
  督办函 (trigger unanswered, key unanswered:<notice>). A 约谈建议 is answered by holding the talk, not in
  writing, so it does not escalate.
Ladder notices are addressed to the task's lead unit (else its first implementing unit). Every step
writes an event on the task's chain and tells the office that a draft waits (`notify`, stable keys).
Drafting by hand (`notice_draft`), editing (`notice_update`), issuing and cancelling are the office's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Region, Role, User
from zhenggai.accounts.policies import CHANGE, is_system_actor, user_can, user_has_role
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import diff, event_record
from zhenggai.core.models import Event
from zhenggai.core.workdays import add_working_days
from zhenggai.notifications.services import notify

from .models import SupervisionNotice, Task
from .warnings import RED, today, warning_reasons
from .workflow import OPEN_STATUSES

Notice = SupervisionNotice
Kind = SupervisionNotice.Kind
Status = SupervisionNotice.Status
Trigger = SupervisionNotice.Trigger

REPLY_WORKING_DAYS = 5
# kinds that expect a written reply and escalate when it does not come
ANSWERABLE = (Kind.NOTICE, Kind.LETTER)
EDITABLE_FIELDS = ("kind", "reason", "required_action", "reply_deadline")


class NoticeRefused(DomainError):
    code = "notice_refused"


def default_reply_deadline(on: dt.date | None = None) -> dt.date:
    """Five working days, counted from `on` (today) as the first day."""
    return add_working_days(on or today(), REPLY_WORKING_DAYS)


def cn_date(day: dt.date) -> str:
    """2025-03-03 → 2025年3月3日, whatever the user's language (official texts are Chinese)."""
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------------
# who is who

def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def region_users(region: Region, *roles: str) -> QuerySet[User]:
    """Active users with one of `roles` whose region covers `region` (the office of a district sees its
    townships' tasks too)."""
    return User.objects.filter(
        is_active=True, roles__role__in=roles, organization__region__path__in=_ancestor_paths(region.path)
    ).distinct()


def unit_heads(unit: Organization) -> QuerySet[User]:
    return User.objects.filter(is_active=True, roles__role=Role.UNIT_HEAD, organization=unit).distinct()


def issuing_office(task: Task) -> Organization | None:
    """The office (督察整改办) of the nearest region that covers the task's region."""
    offices = Organization.objects.filter(
        kind=Organization.Kind.OFFICE, is_active=True, region__path__in=_ancestor_paths(task.region.path)
    ).select_related("region")
    return max(offices, key=lambda o: (len(o.region.path), -o.pk), default=None)


def issuing_region(task: Task) -> Region:
    office = issuing_office(task)
    return office.region if office is not None else task.region


def number_prefix(region: Region, year: int) -> str:
    """梁平区, 2025 → 梁督整办〔2025〕."""
    return f"{region.name[:1]}督整办〔{year}〕"


def addressee(task: Task) -> Organization | None:
    """Whom the ladder addresses: the lead unit, else the first implementing unit."""
    if task.lead_unit_id:
        return task.lead_unit
    return task.implementing_units.order_by("id").first()


def task_units(task: Task) -> QuerySet[Organization]:
    """The units a notice about `task` may be addressed to: implementing, lead and cooperating."""
    return Organization.objects.filter(
        Q(tasks_implementing=task) | Q(tasks_led=task) | Q(tasks_cooperating=task)
    ).distinct().order_by("kind", "sort_order", "id")


def may_manage(user: Any, task: Task) -> bool:
    """The office of the task's region (and the system actor, superusers) drafts, edits, issues and
    cancels notices."""
    return is_system_actor(user) or bool(getattr(user, "is_superuser", False)) or (
        user_has_role(user, Role.OFFICE) and user_can(user, CHANGE, task)
    )


def may_reply(user: Any, notice: SupervisionNotice) -> bool:
    """A unit head of the addressed unit or of a unit above it."""
    org = getattr(user, "organization", None)
    return (
        user_has_role(user, Role.UNIT_HEAD) and org is not None and notice.unit.path.startswith(org.path)
    )


def _url(notice: SupervisionNotice) -> str:
    return reverse("notice_detail", args=[notice.pk])


def _label(notice: SupervisionNotice) -> str:
    return f"{notice.get_kind_display()}{notice.number and '（' + notice.number + '）'}"


# ---------------------------------------------------------------------------------------------------
# writing notices

def _event(actor: Any, verb: str, notice: SupervisionNotice, data: dict[str, Any]) -> None:
    event_record(actor=actor, verb=verb, obj=notice, chain_key=f"task:{notice.task_id}",
                 data={"notice": notice.pk, "kind": notice.kind, **data})


def _tell_office_of_draft(notice: SupervisionNotice, task: Task) -> None:
    notify(
        users=region_users(task.region, Role.OFFICE),
        kind="supervision.draft",
        title=_("督办待签发：%(kind)s · 任务 %(n)s") % {"kind": notice.get_kind_display(), "n": task.number},
        body=notice.reason,
        url=_url(notice),
        key=f"supervision:{notice.pk}:drafted",
    )


def _create(*, actor: Any, task: Task, unit: Organization, kind: str, trigger: str, reason: str,
            required_action: str, reply_deadline: dt.date, key: str = "",
            escalated_from: SupervisionNotice | None = None) -> SupervisionNotice:
    notice = SupervisionNotice.objects.create(
        task=task, unit=unit, kind=kind, trigger=trigger, reason=reason, required_action=required_action,
        reply_deadline=reply_deadline, key=key, escalated_from=escalated_from,
    )
    _event(actor, "supervision.drafted", notice, {
        "trigger": trigger, "unit": unit.name, "reply_deadline": reply_deadline, "key": key,
        "escalated_from": escalated_from.pk if escalated_from else None,
    })
    _tell_office_of_draft(notice, task)
    return notice


def _validate(*, kind: str, reason: str, required_action: str, reply_deadline: dt.date | None) -> None:
    if kind not in Kind.values:
        raise ValidationFailed(_("督办类型无效。"), field="kind")
    if not (reason or "").strip():
        raise ValidationFailed(_("督办事由不能为空。"), field="reason")
    if not (required_action or "").strip():
        raise ValidationFailed(_("督办要求不能为空。"), field="required_action")
    if reply_deadline is None:
        raise ValidationFailed(_("请填写回复期限。"), field="reply_deadline")
    if reply_deadline < today():
        raise ValidationFailed(_("回复期限不能早于今天。"), field="reply_deadline")


def notice_draft(*, actor: Any, task: Task, unit: Organization, kind: str, reason: str,
                 required_action: str, reply_deadline: dt.date | None = None) -> SupervisionNotice:
    """The office drafts a notice by hand (trigger manual). `unit` must be an implementing, lead or
    cooperating unit of the task; the reply deadline defaults to five working days from today."""
    if not may_manage(actor, task):
        raise PermissionDenied(_("只有本区域的督察整改办可以起草督办。"))
    reply_deadline = reply_deadline or default_reply_deadline()
    _validate(kind=kind, reason=reason, required_action=required_action, reply_deadline=reply_deadline)
    if not task_units(task).filter(pk=unit.pk).exists():
        raise ValidationFailed(_("督办对象必须是该任务的整改实施主体、牵头单位或配合单位。"), field="unit")
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status not in OPEN_STATUSES:
            raise NoticeRefused(_("任务已通过验收或已销号，不能再督办。"))
        return _create(actor=actor, task=locked, unit=unit, kind=kind, trigger=Trigger.MANUAL,
                       reason=reason.strip(), required_action=required_action.strip(),
                       reply_deadline=reply_deadline)


def _lock(notice: SupervisionNotice) -> SupervisionNotice:
    return SupervisionNotice.objects.select_for_update().get(pk=notice.pk)


def _refreshed(notice: SupervisionNotice) -> SupervisionNotice:
    notice.refresh_from_db()
    return notice


def notice_update(*, actor: Any, notice: SupervisionNotice, reason: str, required_action: str,
                  reply_deadline: dt.date, kind: str) -> bool:
    """The office edits a draft. Returns False (and writes nothing) when nothing changed."""
    if not may_manage(actor, notice.task):
        raise PermissionDenied(_("只有本区域的督察整改办可以修改督办。"))
    _validate(kind=kind, reason=reason, required_action=required_action, reply_deadline=reply_deadline)
    with transaction.atomic():
        locked = _lock(notice)
        if locked.status != Status.DRAFT:
            raise NoticeRefused(_("只有待签发的督办可以修改。"))
        before = {f: getattr(locked, f) for f in EDITABLE_FIELDS}
        locked.kind, locked.reason, locked.required_action, locked.reply_deadline = (
            kind, reason.strip(), required_action.strip(), reply_deadline)
        changes = diff(before, {f: getattr(locked, f) for f in EDITABLE_FIELDS})
        if not changes:
            return False
        locked.save(update_fields=list(changes))
        _event(actor, "supervision.updated", locked, {"changes": changes})
    notice.refresh_from_db()
    return True


def _next_number(task: Task, year: int) -> str:
    """Numbers run per issuing region and year; the region row is locked while one is taken."""
    region = issuing_region(task)
    Region.objects.select_for_update().filter(pk=region.pk).first()
    prefix = number_prefix(region, year)
    taken = set(SupervisionNotice.objects.filter(number__startswith=prefix).values_list("number", flat=True))
    sequence = len(taken) + 1
    while f"{prefix}{sequence}号" in taken:
        sequence += 1
    return f"{prefix}{sequence}号"


def notice_issue(*, actor: Any, notice: SupervisionNotice) -> SupervisionNotice:
    """The office issues a draft: it gets its number and the head(s) of the addressed unit are told."""
    if not may_manage(actor, notice.task):
        raise PermissionDenied(_("只有本区域的督察整改办可以签发督办。"))
    with transaction.atomic():
        locked = _lock(notice)
        if locked.status != Status.DRAFT:
            raise NoticeRefused(_("只有待签发的督办可以签发。"))
        if locked.reply_deadline < today():
            raise NoticeRefused(_("回复期限已过，请先修改回复期限再签发。"))
        locked.number = _next_number(locked.task, today().year)
        locked.status = Status.ISSUED
        locked.issued_at = timezone.now()
        locked.issued_by = actor
        locked.save(update_fields=["number", "status", "issued_at", "issued_by"])
        _event(actor, "supervision.issued", locked, {
            "changes": {"status": [Status.DRAFT, Status.ISSUED]}, "number": locked.number,
            "reply_deadline": locked.reply_deadline,
        })
        notify(
            users=unit_heads(locked.unit),
            kind="supervision.issued",
            title=_("收到%(label)s：任务 %(n)s，请于%(date)s前回复")
            % {"label": _label(locked), "n": locked.task.number, "date": cn_date(locked.reply_deadline)},
            body=locked.required_action,
            url=_url(locked),
            key=f"supervision:{locked.pk}:issued",
        )
    return _refreshed(notice)


def notice_reply(*, actor: Any, notice: SupervisionNotice, reply: str) -> SupervisionNotice:
    """The unit head answers an issued (or already escalated) notice; after the deadline the reply is
    marked late in its event."""
    from .supervision_selectors import notice_visible

    if not notice_visible(actor, notice):
        raise NotFound()
    if not (may_reply(actor, notice) or is_system_actor(actor)):
        raise PermissionDenied(_("只有被督办单位的负责人可以回复督办。"))
    if not (reply or "").strip():
        raise ValidationFailed(_("回复内容不能为空。"), field="reply")
    with transaction.atomic():
        locked = _lock(notice)
        if locked.status not in (Status.ISSUED, Status.ESCALATED):
            raise NoticeRefused(_("该督办当前状态为“%(status)s”，不能回复。") % {"status": locked.get_status_display()})
        before = locked.status
        late = today() > locked.reply_deadline
        locked.reply = reply.strip()
        locked.replied_at = timezone.now()
        locked.replied_by = actor
        locked.status = Status.REPLIED
        locked.save(update_fields=["reply", "replied_at", "replied_by", "status"])
        _event(actor, "supervision.replied", locked, {"changes": {"status": [before, Status.REPLIED]}, "late": late})
        notify(
            users=region_users(locked.task.region, Role.OFFICE),
            kind="supervision.replied",
            title=(_("%(unit)s 已逾期回复%(label)s") if late else _("%(unit)s 已回复%(label)s"))
            % {"unit": locked.unit.name, "label": _label(locked)},
            body=locked.reply,
            url=_url(locked),
            key=f"supervision:{locked.pk}:replied",
        )
    return _refreshed(notice)


def notice_cancel(*, actor: Any, notice: SupervisionNotice, reason: str = "") -> SupervisionNotice:
    """The office withdraws a draft or an issued notice."""
    if not may_manage(actor, notice.task):
        raise PermissionDenied(_("只有本区域的督察整改办可以撤销督办。"))
    with transaction.atomic():
        locked = _lock(notice)
        if locked.status not in (Status.DRAFT, Status.ISSUED):
            raise NoticeRefused(_("该督办当前状态为“%(status)s”，不能撤销。") % {"status": locked.get_status_display()})
        before = locked.status
        locked.status = Status.CANCELLED
        locked.save(update_fields=["status"])
        _event(actor, "supervision.cancelled", locked,
               {"changes": {"status": [before, Status.CANCELLED]}, "reason": reason.strip()})
        if before == Status.ISSUED:
            notify(users=unit_heads(locked.unit), kind="supervision.cancelled",
                   title=_("%(label)s 已撤销") % {"label": _label(locked)}, body=reason, url=_url(locked),
                   key=f"supervision:{locked.pk}:cancelled")
    return _refreshed(notice)


# ---------------------------------------------------------------------------------------------------
# the escalation ladder

@dataclass
class EscalationResult:
    drafted: list[SupervisionNotice] = field(default_factory=list)
    escalated: list[SupervisionNotice] = field(default_factory=list)
    accountability: list[Task] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {"drafted": len(self.drafted), "escalated": len(self.escalated),
                "accountability": len(self.accountability)}


def _task_line(task: Task) -> str:
    return _("第%(n)s项整改任务“%(title)s”") % {"n": task.number, "title": task.short_title}


def _ladder_draft(result: EscalationResult, *, actor: Any, task_pk: int, key: str, kind: str, trigger: str,
                  texts: Any, on: dt.date, escalated_from: SupervisionNotice | None = None) -> None:
    """Draft one ladder notice unless its key exists; the task row lock serialises concurrent runs."""
    try:
        with transaction.atomic():
            task = Task.objects.select_for_update().get(pk=task_pk)
            if SupervisionNotice.objects.filter(key=key).exists():
                return
            unit = escalated_from.unit if escalated_from is not None else addressee(task)
            if unit is None:
                return
            reason, required = texts(task, unit)
            result.drafted.append(_create(
                actor=actor, task=task, unit=unit, kind=kind, trigger=trigger, reason=reason,
                required_action=required, reply_deadline=default_reply_deadline(on), key=key,
                escalated_from=escalated_from,
            ))
    except IntegrityError:  # another run drafted it between our check and insert
        return


def _yellow_texts(on: dt.date) -> Any:
    def texts(task: Task, unit: Organization) -> tuple[str, str]:
        reasons = "；".join(warning_reasons(task, on)) or _("临近整改时限或进度滞后")
        return (
            _("%(task)s已 %(count)s 次被亮黄牌（%(reasons)s），整改推进滞后。")
            % {"task": _task_line(task), "count": task.yellow_count, "reasons": reasons},
            _("请%(unit)s对照整改方案和阶段目标加快推进，于回复期限前书面报告整改进展、存在问题和下一步措施。")
            % {"unit": unit.name},
        )
    return texts


def _red_texts(task: Task, unit: Organization) -> tuple[str, str]:
    deadline = cn_date(task.deadline) if task.deadline else task.deadline_text
    return (
        _("%(task)s整改时限为%(deadline)s，现已逾期仍未完成整改验收，亮红灯。")
        % {"task": _task_line(task), "deadline": deadline},
        _("请%(unit)s立即采取有效措施加快整改，于回复期限前书面报告逾期原因、整改进展和完成时限；逾期不回复的，将升级督办。")
        % {"unit": unit.name},
    )


def _talk_texts(task: Task, unit: Organization) -> tuple[str, str]:
    return (
        _("%(task)s逾期未完成整改，建议对%(unit)s主要负责人进行约谈。") % {"task": _task_line(task), "unit": unit.name},
        _("请%(unit)s主要负责人按通知时间参加约谈，说明逾期原因、整改措施和完成时限。") % {"unit": unit.name},
    )


def _unanswered_texts(old: SupervisionNotice) -> Any:
    def texts(task: Task, unit: Organization) -> tuple[str, str]:
        return (
            _("%(label)s（回复期限%(date)s）逾期未回复。原督办事由：%(reason)s")
            % {"label": _label(old), "date": cn_date(old.reply_deadline), "reason": old.reason},
            _("请%(unit)s于回复期限前书面回复并说明逾期未回复的原因；仍不回复的，将提请问责。") % {"unit": unit.name},
        )
    return texts


def _escalate(result: EscalationResult, *, actor: Any, notice_pk: int, on: dt.date) -> None:
    with transaction.atomic():
        old = SupervisionNotice.objects.select_for_update().get(pk=notice_pk)
        if old.status != Status.ISSUED or old.reply_deadline >= on:
            return
        old.status = Status.ESCALATED
        old.save(update_fields=["status"])
        _event(actor, "supervision.escalated", old, {"changes": {"status": [Status.ISSUED, Status.ESCALATED]},
                                                     "reply_deadline": old.reply_deadline, "on": on})
        notify(users=unit_heads(old.unit), kind="supervision.escalated",
               title=_("%(label)s 逾期未回复，已升级督办") % {"label": _label(old)}, url=_url(old),
               key=f"supervision:{old.pk}:escalated")
        result.escalated.append(old)
        _ladder_draft(result, actor=actor, task_pk=old.task_id, key=f"unanswered:{old.pk}", kind=Kind.LETTER,
                      trigger=Trigger.UNANSWERED, texts=_unanswered_texts(old), on=on, escalated_from=old)


def _propose_accountability(result: EscalationResult, *, actor: Any, task_pk: int) -> None:
    with transaction.atomic():
        task = Task.objects.select_for_update().get(pk=task_pk)
        done = Event.objects.filter(object_type="task", object_id=str(task.pk), verb="task.accountability_proposed",
                                    data__red_count=task.red_count).exists()
        if done:
            return
        event_record(actor=actor, verb="task.accountability_proposed", obj=task,
                     data={"red_count": task.red_count, "reasons": warning_reasons(task)})
        notify(
            users=region_users(task.region, Role.OFFICE, Role.DISCIPLINE),
            kind="task.accountability_proposed",
            title=_("问责建议：%(task)s %(count)s 次亮红灯") % {"task": _task_line(task), "count": task.red_count},
            url=reverse("task_detail", args=[task.pk]),
            key=f"accountability:{task.pk}:{task.red_count}",
        )
        result.accountability.append(task)


def escalation_run(*, on: dt.date | None = None, actor: Any = None) -> EscalationResult:
    """Run the ladder once for day `on` (see the module docstring). Safe to run again: every step is
    keyed, so a second run on the same day drafts nothing new."""
    from zhenggai.core.actors import system_actor

    on = on or today()
    actor = actor or system_actor()
    result = EscalationResult()
    open_tasks = Task.objects.filter(status__in=OPEN_STATUSES)
    existing = set(SupervisionNotice.objects.exclude(key="").values_list("key", flat=True))
    with translation.override(settings.LANGUAGE_CODE):
        # unanswered notices first, so that today's drafts are not mistaken for old ones
        overdue = SupervisionNotice.objects.filter(status=Status.ISSUED, kind__in=ANSWERABLE, reply_deadline__lt=on,
                                                   task__status__in=OPEN_STATUSES)
        for notice_pk in overdue.order_by("pk").values_list("pk", flat=True):
            _escalate(result, actor=actor, notice_pk=notice_pk, on=on)
        for pk in open_tasks.filter(yellow_count__gte=2).order_by("pk").values_list("pk", flat=True):
            if f"yellow2:{pk}" not in existing:
                _ladder_draft(result, actor=actor, task_pk=pk, key=f"yellow2:{pk}", kind=Kind.NOTICE,
                              trigger=Trigger.YELLOW_TWICE, texts=_yellow_texts(on), on=on)
        for pk, red_count in open_tasks.filter(warning=RED).order_by("pk").values_list("pk", "red_count"):
            if f"red:{pk}:{red_count}" not in existing:
                _ladder_draft(result, actor=actor, task_pk=pk, key=f"red:{pk}:{red_count}", kind=Kind.LETTER,
                              trigger=Trigger.RED, texts=_red_texts, on=on)
            if f"talk:{pk}:{red_count}" not in existing:
                _ladder_draft(result, actor=actor, task_pk=pk, key=f"talk:{pk}:{red_count}", kind=Kind.TALK,
                              trigger=Trigger.RED, texts=_talk_texts, on=on)
        for pk in open_tasks.filter(red_count__gte=2).order_by("pk").values_list("pk", flat=True):
            _propose_accountability(result, actor=actor, task_pk=pk)
    return result
