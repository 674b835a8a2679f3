"""Storing evidence files. `evidence_create` is the one entry point for uploads from any page or the API."""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from zhenggai.core.events import event_record

from .models import Evidence


def evidence_create(*, actor: Any, task: Any, file: UploadedFile, category: str, description: str = "",
                    is_public: bool = False) -> Evidence:
    """Store one uploaded file as evidence of `task` (hash, size, type); writes an event.

    Preconditions: the actor may see the task. (Type checks by content, size limits, EXIF capture time
    and GPS, thumbnails are added by the evidence module.)
    """
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    with transaction.atomic():
        evidence = Evidence(
            task=task, organization=getattr(actor, "organization", None), uploaded_by=actor, category=category,
            description=description, original_name=file.name or "file", content_type=file.content_type or "",
            size=file.size or 0, sha256=digest.hexdigest(), is_public=is_public,
        )
        evidence.file.save(file.name or "file", file, save=False)
        evidence.save()
        event_record(actor=actor, verb="evidence.uploaded", obj=task,
                     data={"evidence": evidence.pk, "name": evidence.original_name, "sha256": evidence.sha256})
    return evidence
