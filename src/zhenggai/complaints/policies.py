"""Who may do what to a complaint case (DOMAIN §4, §8). Reading is `accounts.policies.scope_for`
(region-wide roles see the cases of inspections of their region, units those they lead or cooperate
on, the complainant only the office); these rules answer the writes.

- assign, review, link repeats, merge, look-backs: the office of the inspection's region;
- handle (record the investigation and result, upload evidence): unit staff or head of the lead
  unit (or of a parent unit), and the office of the region;
- submit the result for review: the unit head of the lead unit (or the office);
- the system actor and active superusers may do everything.
Cooperating units read the case and its evidence but do not write.
"""

from __future__ import annotations

from typing import Any

from zhenggai.accounts.models import Role
from zhenggai.accounts.policies import is_system_actor, scope_for, user_has_role, user_region

from .models import Complaint


def is_privileged(user: Any) -> bool:
    return is_system_actor(user) or bool(
        getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser
    )


def may_see(user: Any, complaint: Complaint) -> bool:
    return scope_for(user, Complaint.objects.filter(pk=complaint.pk)).exists()


def is_region_office(user: Any, complaint: Complaint) -> bool:
    """The office of the region (or a parent region) of the complaint's inspection."""
    if not user_has_role(user, Role.OFFICE):
        return False
    region = user_region(user)
    target = complaint.inspection.target_region
    return bool(region is not None and target.path.startswith(region.path))


def _of_unit(user: Any, unit: Any) -> bool:
    org = getattr(user, "organization", None)
    return org is not None and unit is not None and unit.path.startswith(org.path)


def is_lead_unit_user(user: Any, complaint: Complaint, roles: tuple[str, ...] = (Role.UNIT_STAFF, Role.UNIT_HEAD)) -> bool:
    return user_has_role(user, *roles) and _of_unit(user, complaint.lead_unit)


def is_cooperating_unit_user(user: Any, complaint: Complaint) -> bool:
    return user_has_role(user, Role.UNIT_STAFF, Role.UNIT_HEAD) and any(
        _of_unit(user, unit) for unit in complaint.cooperating_units.all()
    )


def may_manage(user: Any, complaint: Complaint) -> bool:
    """Assign, review, link, merge, look-backs: the office of the region."""
    return is_privileged(user) or is_region_office(user, complaint)


def may_handle(user: Any, complaint: Complaint) -> bool:
    return is_privileged(user) or is_region_office(user, complaint) or is_lead_unit_user(user, complaint)


def may_submit(user: Any, complaint: Complaint) -> bool:
    return (is_privileged(user) or is_region_office(user, complaint)
            or is_lead_unit_user(user, complaint, roles=(Role.UNIT_HEAD,)))


def may_see_complainant(user: Any, complaint: Complaint) -> bool:
    """Only the office of the region (and the system actor / superusers) ever see the complainant."""
    return is_privileged(user) or is_region_office(user, complaint)
