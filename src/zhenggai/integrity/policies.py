"""Who sees integrity flags and who decides on them.

- `office`, `leader` and `discipline` read the flags of their region and of the regions below it (the
  flag's region is that of its task, or of its complaint's inspection);
- only `office` (of the flag's region or above) confirms, dismisses and reopens flags;
- `discipline` (of the flag's region or above) turns a confirmed flag into an accountability case — the
  case is theirs to record (`assessment.policies.may_record_case`);
- implementing, lead, cooperating and acceptance units (`unit_staff`, `unit_head`, `acceptor`) and
  `admin` see no flags at all: the review is internal until confirmed, and what follows a confirmation
  (assessment items, accountability) reaches them through those features;
- superusers and the system actor (jobs, commands) see and do everything.
Hidden and missing flags are indistinguishable (NotFound; pages answer 404).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhenggai.accounts.models import REGION_WIDE_ROLES, Role
from zhenggai.accounts.policies import is_system_actor, user_has_role, user_region

from .models import IntegrityFlag
from .workflow import SOURCES, TO_ACCOUNTABILITY, TRANSITIONS, WHO


def privileged(user: Any) -> bool:
    return is_system_actor(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


def may_read_flags(user: Any) -> bool:
    """Does the review exist for `user` at all (navigation, queue page, API list)?"""
    return privileged(user) or user_has_role(user, *REGION_WIDE_ROLES)


def flags_for(user: Any, queryset: QuerySet[IntegrityFlag] | None = None) -> QuerySet[IntegrityFlag]:
    """The flags `user` may read. Every read of flags starts here."""
    qs = queryset if queryset is not None else IntegrityFlag.objects.all()
    if privileged(user):
        return qs
    region = user_region(user)
    if region is None or not user_has_role(user, *REGION_WIDE_ROLES):
        return qs.none()
    return qs.filter(region__path__startswith=region.path)


def _in_region(user: Any, flag: IntegrityFlag) -> bool:
    region = user_region(user)
    return bool(region is not None and flag.region.path.startswith(region.path))


def may_take(user: Any, name: str, flag: IntegrityFlag) -> bool:
    """May `user` take transition `name` on `flag` (the state is checked separately)?"""
    if privileged(user):
        return True
    role = Role.OFFICE if WHO[name] == "office" else Role.DISCIPLINE
    return user_has_role(user, role) and _in_region(user, flag)


def may_decide(user: Any, flag: IntegrityFlag) -> bool:
    """The office of the flag's region (or above) reviews it."""
    return may_take(user, "confirm", flag)


def available_transitions(flag: IntegrityFlag, user: Any) -> list[str]:
    """What pages show as forms and the API as actions: the transitions `user` may take on `flag` now."""
    names = []
    for name, sources, _target, _who in TRANSITIONS:
        if flag.status not in sources or not may_take(user, name, flag):
            continue
        if name == TO_ACCOUNTABILITY and flag.accountability_case_id is not None:
            continue
        names.append(name)
    return names


__all__ = ["SOURCES", "available_transitions", "flags_for", "may_decide", "may_read_flags", "may_take",
           "privileged"]
