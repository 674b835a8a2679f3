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
from zhenggai.accounts.policies import is_system_actor, scope_for, user_has_role
from zhenggai.core.errors import DomainError, NotFound, PermissionDenied
from zhenggai.core.events import event_record

from .models import Task
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
    if not scope_for(user, Task.objects.filter(pk=task.pk)).exists() and not _privileged(user):
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
