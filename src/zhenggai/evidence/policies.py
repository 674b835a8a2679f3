"""Who may upload and delete evidence, and when evidence may no longer be deleted.

Rules (DOMAIN §2, §8):
- reading: evidence is visible exactly when its task is (`accounts.policies.scope_for`).
- uploading to a task: a unit user (`unit_staff`, `unit_head`, `acceptor`) of a unit party to the task
  (implementing, lead, cooperating or acceptance unit, a measure's unit, or a sub-unit of one), the
  office of the task's region, the system actor and superusers. Leaders and discipline read only.
- deleting: the uploader or the office of the task's region (system actor and superusers too), and
  only while the evidence backs nothing: once it is attached to a progress report (other than a draft
  of the uploader), an acceptance application or an acceptance review, the file stays for good.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _

from zhenggai.accounts.models import UNIT_ROLES, Role
from zhenggai.accounts.policies import (
    is_system_actor,
    task_party_loaded,
    task_party_q,
    task_visible,
    user_has_role,
    user_region,
)

from .models import Evidence


def _is_active_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def _acts_for_everything(user: Any) -> bool:
    return is_system_actor(user) or (_is_active_user(user) and user.is_superuser)


def is_region_office(user: Any, task: Any) -> bool:
    """The office of the region (or a parent region) where the task is located."""
    if not user_has_role(user, Role.OFFICE):
        return False
    region = user_region(user)
    return bool(region is not None and task.region.path.startswith(region.path))


def is_party_unit_user(user: Any, task: Any) -> bool:
    """A unit user whose organization (or one of its sub-units) is party to the task."""
    from zhenggai.rectification.models import Task

    org = getattr(user, "organization", None)
    if org is None or not user_has_role(user, *UNIT_ROLES):
        return False
    loaded = task_party_loaded(task, org.path)
    if loaded is not None:
        return loaded
    return Task.objects.filter(pk=task.pk).filter(task_party_q(org.path)).exists()


def may_see_task(user: Any, task: Any) -> bool:
    return task_visible(user, task)


def may_upload(user: Any, task: Any) -> bool:
    """May `user` upload evidence to `task`? (See the module's rules.)"""
    if _acts_for_everything(user):
        return True
    if not _is_active_user(user):
        return False
    return (is_region_office(user, task) or is_party_unit_user(user, task)) and may_see_task(user, task)


def may_delete(user: Any, evidence: Evidence) -> bool:
    """May `user` delete `evidence` as far as roles go? Whether it still may be deleted at all is
    `evidence_backing`'s answer."""
    if _acts_for_everything(user):
        return True
    if not _is_active_user(user) or evidence.task_id is None:
        return False
    task = evidence.task
    if not may_see_task(user, task):
        return False
    return evidence.uploaded_by_id == user.pk or is_region_office(user, task)


def backing_annotations() -> dict[str, Exists]:
    """Boolean annotations on Evidence: which records it backs. A draft progress report of the
    uploader does not count: the uploader may still take the file out of their own draft."""
    from zhenggai.rectification.models import AcceptanceApplication, AcceptanceReview, ProgressReport

    reports = ProgressReport.objects.filter(evidence=OuterRef("pk")).filter(
        ~Q(status=ProgressReport.Status.DRAFT, drafted_by=OuterRef("uploaded_by"))
    )
    return {
        "backs_report": Exists(reports),
        "backs_application": Exists(AcceptanceApplication.objects.filter(evidence=OuterRef("pk"))),
        "backs_review": Exists(AcceptanceReview.objects.filter(photos=OuterRef("pk"))),
    }


def backing_labels(row: Any) -> list[str]:
    """Readable names of what an annotated evidence row backs (empty: it may be deleted)."""
    labels = []
    if getattr(row, "backs_report", False):
        labels.append(_("整改进展"))
    if getattr(row, "backs_application", False):
        labels.append(_("验收销号申请"))
    if getattr(row, "backs_review", False):
        labels.append(_("验收意见"))
    return labels


def evidence_backing(evidence: Evidence) -> list[str]:
    """What `evidence` backs, as readable names; one query."""
    row = Evidence.objects.filter(pk=evidence.pk).annotate(**backing_annotations()).first()
    return backing_labels(row) if row is not None else []
