"""Task transitions (DOMAIN §3). One service each: lock the row, check the state and the actor's
right, save, write the event in the same transaction, queue side effects on commit.

Who may do what (besides the system actor and superusers):
- start: unit staff or head of an implementing unit (or automatically at the first progress report);
- apply: unit head of an implementing or the lead unit; needs at least one evidence file and the
  self-check against the five criteria;
- pass / return: an acceptor of the task's acceptance unit; return needs reasons;
- uphold_objection: the office of the region (an objection during the notice is upheld);
- close: the office, after the notice has ended with every objection answered and none upheld.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import is_system_actor, scope_for, task_visible, user_has_role
from zhenggai.core.audit_state import state_touched
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied
from zhenggai.core.events import event_record
from zhenggai.portal.caching import public_data_changed

from .models import AcceptanceApplication, Task
from .warnings import task_warning_refresh
from .workflow import TRANSITIONS, TaskStatus

LABELS = {
    "start": gettext_lazy("启动整改"),
    "apply": gettext_lazy("申请验收销号"),
    "pass": gettext_lazy("验收通过"),
    "return": gettext_lazy("退回整改"),
    "uphold_objection": gettext_lazy("异议成立，退回整改"),
    "close": gettext_lazy("销号"),
}


class TransitionRefused(DomainError):
    code = "transition_refused"


def _party(user: Any, *units: Any) -> bool:
    org = getattr(user, "organization", None)
    return org is not None and any(u is not None and u.path.startswith(org.path) for u in units)


def _implementing(user: Any, task: Task) -> bool:
    return _party(user, *task.implementing_units.all())


def _office_of(user: Any, task: Task) -> bool:
    return user_has_role(user, Role.OFFICE) and scope_for(user, Task.objects.filter(pk=task.pk)).exists()


def _privileged(user: Any) -> bool:
    return is_system_actor(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


# transition -> rule "may this user take it on this task?" (the state is checked separately)
RULES: dict[str, Callable[[Any, Task], bool]] = {
    "start": lambda u, t: user_has_role(u, Role.UNIT_STAFF, Role.UNIT_HEAD) and _implementing(u, t),
    "apply": lambda u, t: user_has_role(u, Role.UNIT_HEAD) and (_implementing(u, t) or _party(u, t.lead_unit)),
    "pass": lambda u, t: user_has_role(u, Role.ACCEPTOR) and _party(u, t.acceptance_unit),
    "return": lambda u, t: user_has_role(u, Role.ACCEPTOR) and _party(u, t.acceptance_unit),
    "uphold_objection": _office_of,
    "close": _office_of,
}
SOURCES = {name: sources for name, sources, _target in TRANSITIONS}
TARGETS = {name: target for name, _sources, target in TRANSITIONS}


def may_take(user: Any, name: str, task: Task) -> bool:
    return _privileged(user) or RULES[name](user, task)


def available_transitions(task: Task, user: Any) -> list[str]:
    """The transitions `user` may take on `task` in its current state: what pages show as buttons and
    the API as actions. Preconditions beyond role and state (evidence, notice end…) are checked when
    the transition is taken, with a message saying what is missing."""
    if not _privileged(user) and not task_visible(user, task):
        return []
    return [name for name, sources, _t in TRANSITIONS if task.status in sources and may_take(user, name, task)]


@dataclass
class Locked:
    task: Task
    before: str


def _lock(task: Task, actor: Any, name: str) -> Locked:
    """Lock the task row and check state and right. Hidden tasks answer NotFound, as missing ones do."""
    if not _privileged(actor) and not scope_for(actor, Task.objects.filter(pk=task.pk)).exists():
        raise NotFound()
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if locked.status not in SOURCES[name]:
        raise TransitionRefused(
            _("任务当前状态为“%(status)s”，不能%(action)s。")
            % {"status": locked.get_status_display(), "action": LABELS[name]}
        )
    if not may_take(actor, name, locked):
        raise PermissionDenied(_("您没有权限对该任务执行“%(action)s”。") % {"action": LABELS[name]})
    return Locked(locked, locked.status)


def _move(locked: Locked, actor: Any, name: str, data: dict[str, Any] | None = None) -> Task:
    task = locked.task
    task.status = TARGETS[name]
    task.version += 1
    task.save(update_fields=["status", "version", "updated_at"])
    event_record(actor=actor, verb=f"task.{name}", obj=task,
                 data={"changes": {"status": [locked.before, task.status]}, **(data or {})})
    task_warning_refresh(task, actor=actor)
    return task


def task_start(*, actor: Any, task: Task, note: str = "") -> Task:
    """未启动 → 整改中. Also called by the first progress report of a task."""
    with transaction.atomic():
        locked = _lock(task, actor, "start")
        return _move(locked, actor, "start", {"note": note} if note else None)


def task_start_if_needed(*, actor: Any, task: Task) -> bool:
    """Start a task that has not started yet (used when its first progress report arrives)."""
    if task.status != TaskStatus.NOT_STARTED:
        return False
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        if locked.status != TaskStatus.NOT_STARTED:
            return False
        _move(Locked(locked, locked.status), actor, "start", {"note": "first progress report"})
    task.refresh_from_db()
    return True


# ---------------------------------------------------------------- acceptance, notice, closure

CRITERIA_KEYS = tuple(key for key, _label in AcceptanceApplication.CRITERIA)


def _notice_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "ZHENGGAI_NOTICE_WORKING_DAYS", 10))


def task_apply_for_acceptance(
    *, actor: Any, task: Task, statement: str, self_check: dict[str, bool], evidence: list[Any]
) -> Any:
    """整改中 → 申请验收. The unit head of an implementing (or the lead) unit applies with a statement, a
    self-check against the five criteria (措施到位、问题解决、机制健全、行动规范、资料齐全), every one
    ticked, and at least one evidence file of this task."""
    if not statement.strip():
        raise TransitionRefused(_("请填写整改完成情况。"), field="statement")
    missing = [str(label) for key, label in AcceptanceApplication.CRITERIA if not self_check.get(key)]
    if missing:
        raise TransitionRefused(
            _("自查未通过的标准：%(items)s。全部达到后才能申请验收。") % {"items": "、".join(missing)},
            field="self_check",
        )
    if not evidence:
        raise TransitionRefused(_("申请验收至少需要一份佐证材料。"), field="evidence")
    if any(e.task_id != task.pk for e in evidence):
        raise TransitionRefused(_("佐证材料必须属于本任务。"), field="evidence")
    with transaction.atomic():
        locked = _lock(task, actor, "apply")
        org = getattr(actor, "organization", None)
        unit = next((u for u in locked.task.implementing_units.all() if org and u.path.startswith(org.path)),
                    locked.task.lead_unit)
        application = AcceptanceApplication.objects.create(
            task=locked.task, unit=unit or locked.task.lead_unit, applied_by=actor, statement=statement,  # type: ignore[misc]
            self_check={k: bool(self_check.get(k)) for k in CRITERIA_KEYS},
        )
        application.evidence.set(evidence)
        _move(locked, actor, "apply", {"application": application.pk, "evidence": [e.pk for e in evidence]})
        transaction.on_commit(lambda: _notify_acceptors(application))
    return application


def _pending_application(task: Task) -> Any:
    application = (
        AcceptanceApplication.objects.select_for_update()
        .filter(task=task, status=AcceptanceApplication.Status.PENDING)
        .order_by("-applied_at")
        .first()
    )
    if application is None:
        raise TransitionRefused(_("没有待验收的申请。"))
    return application


def task_pass_acceptance(
    *, actor: Any, task: Task, reasons: str = "", check_date: Any = None, check_people: str = "",
    check_findings: str = "", criteria: dict[str, bool] | None = None, photos: list[Any] | None = None,
    notice_start: Any = None, contact_phone: str = "", contact_email: str = "",
) -> Any:
    """申请验收 → 公示中. An acceptor of the acceptance unit passes the pending application; a public
    notice of N working days (setting ZHENGGAI_NOTICE_WORKING_DAYS, default 10) opens, its end counted
    on the working-day calendar from its first day. Refused without evidence behind the application.
    Of two acceptors passing at the same moment exactly one succeeds (the row lock serialises them and
    the second finds the task no longer awaiting acceptance)."""
    from zhenggai.core.workdays import add_working_days

    from .models import AcceptanceReview, PublicNotice
    from .warnings import today

    with transaction.atomic():
        locked = _lock(task, actor, "pass")
        application = _pending_application(locked.task)
        if not application.evidence.exists():
            raise TransitionRefused(_("申请没有佐证材料，不能进入公示。"))
        review = AcceptanceReview.objects.create(
            application=application, reviewer=actor, decision=AcceptanceReview.Decision.PASS, reasons=reasons,
            check_date=check_date, check_people=check_people, check_findings=check_findings,
            criteria=criteria or {k: True for k in CRITERIA_KEYS},
        )
        if photos:
            review.photos.set(photos)
        application.status = application.Status.PASSED
        application.save(update_fields=["status"])
        start = notice_start or today()
        days = _notice_days()
        t = locked.task
        notice = PublicNotice.objects.create(
            task=t, application=application, start_date=start, working_days=days,
            end_date=add_working_days(start, days),
            summary=f"{t.title}\n{_('整改目标')}：{t.goal}".strip(), result=application.statement,
            contact_phone=contact_phone, contact_email=contact_email,
        )
        _move(locked, actor, "pass", {"review": review.pk, "notice": notice.pk, "notice_end": notice.end_date})
    return notice


def task_return_acceptance(*, actor: Any, task: Task, reasons: str, check_date: Any = None,
                           check_people: str = "", check_findings: str = "") -> Any:
    """申请验收 → 整改中, with reasons that the unit sees on the task."""
    from .models import AcceptanceReview

    if not reasons.strip():
        raise TransitionRefused(_("退回必须写明理由。"), field="reasons")
    with transaction.atomic():
        locked = _lock(task, actor, "return")
        application = _pending_application(locked.task)
        review = AcceptanceReview.objects.create(
            application=application, reviewer=actor, decision=AcceptanceReview.Decision.RETURN, reasons=reasons,
            check_date=check_date, check_people=check_people, check_findings=check_findings,
        )
        application.status = application.Status.RETURNED
        application.save(update_fields=["status"])
        _move(locked, actor, "return", {"review": review.pk, "reasons": reasons})
        transaction.on_commit(lambda: _notify_unit(locked.task, "acceptance_returned", reasons))
    return review


def objection_lodge(*, notice: Any, content: str, contact_name: str = "", contact: str = "",
                    client_hash: str = "") -> Any:
    """Anyone may object while the notice is open (no account needed). Contact details are optional and
    confidential. Rate limit: at most 5 objections per client per notice per day (checked here)."""
    import datetime as dt

    from django.utils import timezone

    from .models import Objection, PublicNotice
    from .warnings import today

    if not content.strip():
        raise DomainError(_("请填写异议内容。"), field="content")
    if len(content) > 2000:
        raise DomainError(_("异议内容不能超过 2000 字。"), field="content")
    with transaction.atomic():
        locked = PublicNotice.objects.select_for_update().get(pk=notice.pk)
        if locked.status != PublicNotice.Status.OPEN or today() > locked.end_date:
            raise DomainError(_("公示已结束，不再受理异议。"))
        since = timezone.now() - dt.timedelta(days=1)
        if client_hash and Objection.objects.filter(notice=locked, client_hash=client_hash,
                                                    submitted_at__gte=since).count() >= 5:
            raise DomainError(_("提交过于频繁，请明天再试。"))
        objection = Objection.objects.create(notice=locked, content=content.strip(), contact_name=contact_name,
                                             contact=contact, client_hash=client_hash)
        from zhenggai.core.actors import system_actor

        event_record(actor=system_actor(), verb="notice.objection_lodged", obj=locked.task,
                     data={"notice": locked.pk, "objection": objection.pk})
        transaction.on_commit(
            lambda: _notify_office(locked.task, _("销号公示收到异议"), key=f"objection:{objection.pk}")
        )
    return objection


def objection_answer(*, actor: Any, objection: Any, answer: str, upheld: bool) -> Any:
    """The office answers an objection. An upheld objection withdraws the notice and sends the task back
    to 整改中 (transition uphold_objection)."""
    from .models import Objection, PublicNotice

    if not answer.strip():
        raise DomainError(_("请填写答复内容。"), field="answer")
    with transaction.atomic():
        obj = Objection.objects.select_for_update().select_related("notice").get(pk=objection.pk)
        task = obj.notice.task
        if not (_privileged(actor) or _office_of(actor, task)):
            raise PermissionDenied()
        if obj.status == Objection.Status.ANSWERED:
            raise DomainError(_("该异议已经答复。"))
        from django.utils import timezone

        obj.status = Objection.Status.ANSWERED
        obj.answer, obj.upheld, obj.answered_by, obj.answered_at = answer, upheld, actor, timezone.now()
        obj.save(update_fields=["status", "answer", "upheld", "answered_by", "answered_at"])
        event_record(actor=actor, verb="notice.objection_answered", obj=task,
                     data={"objection": obj.pk, "upheld": upheld})
        if upheld:
            locked = _lock(task, actor, "uphold_objection")
            PublicNotice.objects.filter(pk=obj.notice_id).update(status=PublicNotice.Status.WITHDRAWN)
            public_data_changed()  # an update() sends no signal: the portal's fingerprint must still move
            state_touched(PublicNotice, obj.notice_id)  # recorded by the event of _move below
            _move(locked, actor, "uphold_objection", {"objection": obj.pk, "answer": answer})
            transaction.on_commit(lambda: _notify_unit(task, "objection_upheld", answer))
    return obj


def task_close(*, actor: Any, task: Task, long_term: bool = False, on: Any = None) -> Task:
    """公示中 → 已销号, by the office, once the notice has ended, every objection is answered and none
    was upheld, and the acceptance review passed. A long-term task closes as "完成整改、长期坚持" and stays
    under look-back."""
    from .models import AcceptanceReview, Objection, PublicNotice
    from .warnings import today

    on = on or today()
    with transaction.atomic():
        locked = _lock(task, actor, "close")
        notice = PublicNotice.objects.filter(task=locked.task, status=PublicNotice.Status.OPEN).order_by("-id").first()
        if notice is None:
            raise TransitionRefused(_("没有进行中的销号公示。"))
        if not AcceptanceReview.objects.filter(application=notice.application,
                                               decision=AcceptanceReview.Decision.PASS).exists():
            raise TransitionRefused(_("没有验收通过的意见，不能销号。"))
        if on <= notice.end_date:
            raise TransitionRefused(
                _("公示期至 %(end)s 结束，期满后才能销号。") % {"end": f"{notice.end_date:%Y年%-m月%-d日}"}
            )
        pending = notice.objections.filter(status=Objection.Status.PENDING).count()
        if pending:
            raise TransitionRefused(_("还有 %(n)s 条异议未答复，答复后才能销号。") % {"n": pending})
        notice.status = PublicNotice.Status.ENDED
        notice.save(update_fields=["status"])
        return _move(locked, actor, "close", {"notice": notice.pk, "long_term": long_term})


def _notify_acceptors(application: Any) -> None:
    from zhenggai.accounts.models import User
    from zhenggai.notifications.services import notify

    unit = application.task.acceptance_unit
    if unit is None:
        return
    users = User.objects.filter(organization__path__startswith=unit.path, roles__role=Role.ACCEPTOR, is_active=True)
    notify(users=users, kind="acceptance_requested", title=_("有任务申请验收：%(t)s") % {"t": application.task.short_title},
           url=f"/tasks/{application.task_id}/", key=f"application:{application.pk}")


def _notify_unit(task: Task, kind: str, text: str) -> None:
    from zhenggai.accounts.models import User
    from zhenggai.notifications.services import notify

    # the staff and heads of each implementing unit and of the units above it (ancestor paths)
    ancestors = {unit.path[: i + 1] for unit in task.implementing_units.all()
                 for i, c in enumerate(unit.path) if c == "/" and i}
    users = User.objects.filter(is_active=True, roles__role__in=[Role.UNIT_HEAD, Role.UNIT_STAFF],
                                organization__path__in=ancestors).distinct()
    titles = {"acceptance_returned": _("验收退回：%(t)s"), "objection_upheld": _("公示异议成立，任务退回整改：%(t)s")}
    notify(users=users, kind=kind, title=titles.get(kind, "%(t)s") % {"t": task.short_title}, body=text,
           url=f"/tasks/{task.pk}/", key=f"{kind}:{task.pk}:{task.version}")


def _notify_office(task: Task, title: str, *, key: str) -> None:
    from zhenggai.accounts.models import User
    from zhenggai.notifications.services import notify

    ancestors = [task.region.path[: i + 1] for i, c in enumerate(task.region.path) if c == "/" and i]
    users = User.objects.filter(is_active=True, roles__role=Role.OFFICE, organization__region__path__in=ancestors)
    notify(users=users, kind="office", title=f"{title}：{task.short_title}", url=f"/tasks/{task.pk}/", key=key)
