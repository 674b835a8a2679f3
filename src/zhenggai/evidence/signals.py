"""A file that proved something never disappears: whatever code path deletes an Evidence row (the
service, a queryset, a cascade), the deletion is refused while the row backs a progress report (other
than a draft of the uploader), an acceptance application or an acceptance review."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.utils.translation import gettext as _

from zhenggai.core.errors import DomainError

from .models import Evidence
from .policies import evidence_backing


@receiver(pre_delete, sender=Evidence, dispatch_uid="evidence_keep_backing_files")
def evidence_keep_backing_files(sender: Any, instance: Evidence, **kwargs: Any) -> None:
    backing = evidence_backing(instance)
    if backing:
        raise DomainError(_("“%(name)s”已作为%(records)s的佐证材料，不能删除。") % {
            "name": instance.original_name, "records": "、".join(backing)})
