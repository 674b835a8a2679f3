"""Who may see and do what in assessment and accountability.

- `office` edits rule sets, creates and computes assessments of its region (and the regions below it);
- `office`, `leader` and `discipline` read every assessment of their region and every unit's items;
- unit roles (`unit_staff`, `unit_head`, `acceptor`) read the assessments of the regions their unit lies
  in (the ranking), but the items of their own unit (and its sub-units) only;
- accountability cases: `discipline` records and edits them in its region; `office` and `leader` read;
  everybody else sees none (pages answer 403 for the list, 404 for a case);
- superusers and the system actor may do everything.
Hidden and missing objects are indistinguishable (NotFound).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from zhenggai.accounts.models import REGION_WIDE_ROLES, UNIT_ROLES, Organization, Region, Role
from zhenggai.accounts.policies import is_system_actor, user_has_role, user_region

from .models import AccountabilityCase, Assessment, RuleSet


def privileged(user: Any) -> bool:
    return is_system_actor(user) or bool(getattr(user, "is_superuser", False) and user.is_active)


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def in_user_region(user: Any, region: Region | None) -> bool:
    own = user_region(user)
    return bool(own is not None and region is not None and region.path.startswith(own.path))


def may_manage(user: Any, region: Region | None) -> bool:
    """Edit rule sets and create/compute assessments of `region` (None: of some region)."""
    if privileged(user):
        return True
    if not user_has_role(user, Role.OFFICE):
        return False
    return region is None or in_user_region(user, region)


def assessments_for(user: Any, queryset: QuerySet[Assessment] | None = None) -> QuerySet[Assessment]:
    """The assessments `user` may read."""
    qs = queryset if queryset is not None else Assessment.objects.all()
    if privileged(user):
        return qs
    region = user_region(user)
    if region is None or not getattr(user, "is_authenticated", False):
        return qs.none()
    conditions = Q(pk__in=[])
    if user_has_role(user, *REGION_WIDE_ROLES):
        conditions |= Q(region__path__startswith=region.path)
    if user_has_role(user, *UNIT_ROLES):
        conditions |= Q(region__path__in=_ancestor_paths(region.path))
    return qs.filter(conditions)


def sees_all_units(user: Any, assessment: Assessment) -> bool:
    """Region-wide roles of the assessment's region see every unit's items."""
    return privileged(user) or (user_has_role(user, *REGION_WIDE_ROLES) and in_user_region(user, assessment.region))


def may_see_unit(user: Any, assessment: Assessment, unit: Organization) -> bool:
    """May `user` read `unit`'s items in `assessment` (which the user can read)?"""
    if sees_all_units(user, assessment):
        return True
    org = getattr(user, "organization", None)
    return bool(user_has_role(user, *UNIT_ROLES) and org is not None and unit.path.startswith(org.path))


def own_unit_filter(user: Any) -> Q:
    """For unit roles: the items of their unit and its sub-units."""
    org = getattr(user, "organization", None)
    return Q(unit__path__startswith=org.path) if org is not None else Q(pk__in=[])


def rule_sets_for(user: Any) -> QuerySet[RuleSet]:
    """Rule sets are the office's working material: the office of the region (and above) sees them."""
    if privileged(user):
        return RuleSet.objects.all()
    region = user_region(user)
    if region is None or not user_has_role(user, Role.OFFICE):
        return RuleSet.objects.none()
    return RuleSet.objects.filter(region__path__startswith=region.path)


# ── accountability ──

def may_read_cases(user: Any) -> bool:
    return privileged(user) or user_has_role(user, *REGION_WIDE_ROLES)


def may_record_case(user: Any, region: Region | None) -> bool:
    """The discipline body records accountability cases of its region."""
    if privileged(user):
        return True
    if not user_has_role(user, Role.DISCIPLINE):
        return False
    return region is None or in_user_region(user, region)


def cases_for(user: Any) -> QuerySet[AccountabilityCase]:
    if privileged(user):
        return AccountabilityCase.objects.all()
    region = user_region(user)
    if region is None or not user_has_role(user, *REGION_WIDE_ROLES):
        return AccountabilityCase.objects.none()
    return AccountabilityCase.objects.filter(region__path__startswith=region.path)
