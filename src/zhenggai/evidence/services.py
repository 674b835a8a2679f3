"""Storing and deleting evidence files. `evidence_create` / `evidence_create_many` are the one entry point
for uploads from any page or the API; `evidence_delete` the one way out.

Every upload and every deletion writes an event on the task's chain in the same transaction.
"""

from __future__ import annotations

import errno
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, StorageFull, ValidationFailed
from zhenggai.core.events import event_record

from .files import FileRefused, InspectedFile, inspect_upload
from .models import Evidence, EvidenceCategory
from .policies import evidence_backing, may_delete, may_see_task, may_upload
from .selectors import evidence_get_for_user

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILES = 20
# Only before/after photos are meant for the public portal (the model's help text says so).
PUBLIC_CATEGORIES = frozenset({EvidenceCategory.BEFORE_PHOTO, EvidenceCategory.AFTER_PHOTO})


class EvidenceRefused(ValidationFailed):
    """One or more files of an upload were refused; nothing was stored. `messages` names each file."""

    code = "evidence_refused"

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("\n".join(self.messages), field="files")


def max_files() -> int:
    from django.conf import settings

    return int(getattr(settings, "ZHENGGAI_EVIDENCE_MAX_FILES", DEFAULT_MAX_FILES))


def evidence_check_upload(*, actor: Any, task: Any) -> None:
    """Raise NotFound when the actor cannot see the task (hidden = missing) and PermissionDenied when
    they see it but may not upload to it (policies.may_upload)."""
    if not may_see_task(actor, task):
        raise NotFound()
    if not may_upload(actor, task):
        raise PermissionDenied(_("只有任务相关单位的经办人、负责人、验收人员或督察整改办可以上传佐证材料。"))


def evidence_create(*, actor: Any, task: Any, file: UploadedFile, category: str, description: str = "",
                    is_public: bool = False) -> Evidence:
    """Store one uploaded file as evidence of `task`; see `evidence_create_many` for the rules."""
    return evidence_create_many(actor=actor, task=task, files=[file], category=category,
                                description=description, is_public=is_public)[0]


def evidence_create_many(*, actor: Any, task: Any, files: Sequence[UploadedFile], category: str,
                         description: str = "", is_public: bool = False) -> list[Evidence]:
    """Store several uploaded files as evidence of `task`, all or nothing.

    Preconditions: the actor may upload to the task (`evidence_check_upload`); `category` is one of
    EvidenceCategory; at most `settings.ZHENGGAI_EVIDENCE_MAX_FILES` (20) files; `is_public` only for
    before/after photos. Each file is checked by `files.inspect_upload` (type by content, size, image
    decoding) — if any file is refused, nothing is stored and EvidenceRefused lists every refused file.

    Side effects: each file is saved through the default storage under a generated name (the user's
    name is kept in `original_name`), with a thumbnail for images; one `evidence.uploaded` event per
    file on the task's chain. Files already written are removed again if the transaction fails.
    """
    evidence_check_upload(actor=actor, task=task)
    written: list[str | None] = []
    try:
        with transaction.atomic():
            return evidence_store(actor=actor, task=task, files=files, category=category,
                                  description=description, is_public=is_public, written=written)
    except BaseException:
        remove_written_files(written)
        raise


def evidence_store(*, actor: Any, files: Sequence[UploadedFile], category: str, written: list[str | None],
                   task: Any = None, complaint: Any = None, description: str = "",
                   is_public: bool = False) -> list[Evidence]:
    """Check and store uploaded files as evidence of a task or of a complaint, inside the caller's
    transaction. The caller has already checked the actor's right to upload; this checks the category,
    the description, the number of files, the public flag and every file (EvidenceRefused lists each
    refused file, and nothing is stored). The names of the files written are appended to `written` so
    that the caller can remove them when its transaction fails. One `evidence.uploaded` event per file
    on the chain of the task or complaint."""
    if category not in EvidenceCategory.values:
        raise ValidationFailed(_("请选择佐证材料类别。"), field="category")
    description = (description or "").strip()
    if len(description) > 255:
        raise ValidationFailed(_("说明不能超过 255 个字。"), field="description")
    if not files:
        raise ValidationFailed(_("请选择要上传的文件。"), field="files")
    if len(files) > max_files():
        raise ValidationFailed(_("一次最多上传 %(n)s 个文件。") % {"n": max_files()}, field="files")
    if is_public and category not in PUBLIC_CATEGORIES:
        raise ValidationFailed(_("只有整改前照片和整改后照片可以在公众门户公开。"), field="is_public")
    inspected, problems = _inspect_all(files, is_public=is_public)
    if problems:
        raise EvidenceRefused(problems)
    return [_store(actor=actor, task=task, complaint=complaint, item=item, category=category,
                   description=description, is_public=is_public, written=written) for item in inspected]


def evidence_check_files(*, files: Sequence[UploadedFile], is_public: bool = False) -> list[str]:
    """The problems of each file (type, size, decoding, public flag) without storing anything — for
    pages that already refuse part of an upload and want to name every other refused file too."""
    return _inspect_all(files, is_public=is_public)[1]


def _inspect_all(files: Sequence[UploadedFile], *, is_public: bool) -> tuple[list[InspectedFile], list[str]]:
    inspected: list[InspectedFile] = []
    problems: list[str] = []
    for upload in files:
        try:
            item = inspect_upload(upload)
        except FileRefused as refused:
            problems.append(refused.message)
            continue
        if is_public and not item.file_type.is_image:
            problems.append(_("“%(name)s”不是照片，不能公开。") % {"name": item.original_name})
            continue
        inspected.append(item)
    return inspected, problems


def _store(*, actor: Any, task: Any, complaint: Any, item: InspectedFile, category: str, description: str,
           is_public: bool, written: list[str | None]) -> Evidence:
    evidence = Evidence(
        task=task, complaint=complaint, organization=getattr(actor, "organization", None), uploaded_by=actor, category=category,
        description=description, original_name=item.original_name, content_type=item.file_type.content_type,
        size=item.size, sha256=item.sha256, captured_at=item.captured_at, gps_lat=item.gps_lat,
        gps_lon=item.gps_lon, phash=item.phash, is_public=is_public,
    )
    _save_file(evidence.file, item.storage_name(), item.file, written)
    if item.thumbnail:
        _save_file(evidence.thumbnail, f"{uuid.uuid4().hex}.jpg", ContentFile(item.thumbnail), written)
    evidence.save()
    event_record(actor=actor, verb="evidence.uploaded", obj=task if task is not None else complaint, data={
        "evidence": evidence.pk, "name": evidence.original_name, "sha256": evidence.sha256,
        "size": evidence.size, "content_type": evidence.content_type, "category": evidence.category,
    })
    return evidence


NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def _save_file(field: Any, name: str, content: Any, written: list[str | None]) -> None:
    """Write one file through the field's storage. Its final name is listed in `written` before the first
    byte is written, so a write cut short (disk full) leaves no partial file behind once the caller removes
    what was written. A full disk or quota is `StorageFull`: a clear message instead of a server error."""
    planned = field.field.generate_filename(field.instance, name)
    written.append(planned)
    try:
        stored = field.storage.save(planned, content, max_length=field.field.max_length)
    except OSError as error:
        if error.errno in NO_SPACE:
            logger.error("evidence storage is full: %s", error)
            raise StorageFull() from error
        raise
    written[-1] = stored
    setattr(field.instance, field.field.attname, stored)


def evidence_set_public(*, actor: Any, evidence: Evidence, is_public: bool) -> Evidence:
    """Show a before/after photo on the public portal, or take it off again.

    Rules: the actor must see it (NotFound otherwise) and be its uploader or the office of the task's
    region (PermissionDenied); only photos of the categories 整改前照片/整改后照片 of a task may be public
    (ValidationFailed). Taking a photo off the portal is always possible, also when it backs a report or
    an application: the file stays, only its public mark changes.
    Side effects: `evidence.publication_changed` on the task's chain; nothing when the mark is unchanged.
    """
    with transaction.atomic():
        visible = evidence_get_for_user(actor, evidence.pk)
        locked = Evidence.objects.select_for_update(of=("self",)).select_related("task__region").get(pk=visible.pk)
        if not may_delete(actor, locked):
            raise PermissionDenied(_("只有上传人或督察整改办可以更改照片的公开设置。"))
        if locked.is_public == is_public:
            return locked
        if is_public and (locked.task_id is None or locked.category not in PUBLIC_CATEGORIES
                          or not locked.content_type.startswith("image/")):
            raise ValidationFailed(_("只有整改前照片和整改后照片可以在公众门户公开。"), field="is_public")
        locked.is_public = is_public
        locked.save(update_fields=["is_public"])
        event_record(actor=actor, verb="evidence.publication_changed", obj=locked.task or locked, data={
            "evidence": locked.pk, "name": locked.original_name, "changes": {"is_public": [not is_public, is_public]},
        })
    return locked


def evidence_delete(*, actor: Any, evidence: Evidence) -> None:
    """Delete an evidence file.

    Rules: the actor must see it (NotFound otherwise — hidden = missing) and be its uploader or the
    office of the task's region (PermissionDenied). Refused with a DomainError once the evidence backs
    a progress report (other than a draft of the uploader), an acceptance application or an acceptance
    review: a file that proved something never disappears.

    Side effects: the row is deleted (and removed from the uploader's drafts), an `evidence.deleted`
    event is written on the task's chain, and the stored file and thumbnail are removed after commit.
    """
    with transaction.atomic():
        visible = evidence_get_for_user(actor, evidence.pk)
        locked = Evidence.objects.select_for_update(of=("self",)).select_related("task__region").get(pk=visible.pk)
        if not may_delete(actor, locked):
            raise PermissionDenied(_("只有上传人或督察整改办可以删除佐证材料。"))
        backing = evidence_backing(locked)
        if backing:
            raise DomainError(_("“%(name)s”已作为%(records)s的佐证材料，不能删除。") % {
                "name": locked.original_name, "records": "、".join(backing)})
        event_record(actor=actor, verb="evidence.deleted", obj=locked.task or locked, data={
            "evidence": locked.pk, "name": locked.original_name, "sha256": locked.sha256,
            "size": locked.size, "category": locked.category,
        })
        names = [locked.file.name, locked.thumbnail.name]
        locked.delete()
        transaction.on_commit(lambda: remove_written_files(names))


def remove_written_files(names: Sequence[str | None]) -> None:
    """Remove the files an upload wrote before its transaction failed (see `evidence_store`)."""
    for name in names:
        if not name:
            continue
        try:
            default_storage.delete(name)
        except OSError:  # a leftover file is harmless; a failed request is not
            logger.warning("could not remove evidence file %s", name, exc_info=True)
