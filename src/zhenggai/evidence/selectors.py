"""Reading evidence. Every read starts from `scope_for`: evidence is visible exactly when its task is."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhenggai.accounts.policies import get_for_user, scope_for, was_read_by

from .models import Evidence
from .policies import backing_annotations


def evidence_for_task(user: Any, task: Any) -> QuerySet[Evidence]:
    """The evidence of `task` that `user` may read, newest first, with uploader and unit loaded and
    `backs_report` / `backs_application` / `backs_review` annotated (see policies.backing_annotations)."""
    evidence = Evidence.objects.filter(task=task)
    if not was_read_by(user, task):  # else every file of the task is the user's to read
        evidence = scope_for(user, evidence)
    return (
        evidence.select_related("organization", "uploaded_by")
        .annotate(**backing_annotations())
        .order_by("-uploaded_at", "-id")
    )


def evidence_get_for_user(user: Any, pk: int) -> Evidence:
    """One evidence file `user` may read, or NotFound — the same for hidden and missing files."""
    return get_for_user(user, Evidence.objects.select_related("task__region", "organization"), pk=pk)
