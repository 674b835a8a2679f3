"""The evidence panel of the task page: the task's files, an upload form for those who may upload and a
delete button where the file may still be deleted."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from zhenggai.evidence.forms import ACCEPT, EvidenceUploadForm
from zhenggai.evidence.policies import backing_labels, is_region_office, may_upload
from zhenggai.evidence.selectors import evidence_for_task
from zhenggai.evidence.services import PUBLIC_CATEGORIES

register = template.Library()

ICONS = {
    "application/pdf": "PDF",
    "application/msword": "DOC",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOC",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLS",
    "application/vnd.ms-powerpoint": "PPT",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPT",
}


def file_icon(content_type: str) -> str:
    if content_type.startswith("video/"):
        return "VIDEO"
    if content_type.startswith("image/"):
        return "IMG"
    return ICONS.get(content_type, "FILE")


@register.simple_tag(takes_context=True)
def evidence_panel(context: Any, task: Any) -> SafeString:
    request = context.get("request")
    user = getattr(request, "user", None)
    items = list(evidence_for_task(user, task))
    everything = bool(getattr(user, "is_superuser", False)) or is_region_office(user, task)
    for item in items:
        # the same rule as policies.may_delete, without a query per file: the panel's rows are already
        # scoped to the task the user sees
        backing = backing_labels(item)
        item.icon = file_icon(item.content_type)  # type: ignore[attr-defined]
        item.backing = backing  # type: ignore[attr-defined]
        owner = everything or item.uploaded_by_id == getattr(user, "pk", None)
        item.may_delete = not backing and owner  # type: ignore[attr-defined]
        item.may_publish = owner and item.category in PUBLIC_CATEGORIES and (  # type: ignore[attr-defined]
            item.content_type.startswith("image/"))
    can_upload = may_upload(user, task)
    return render_to_string("evidence/_panel.html", {
        "task": task, "items": items, "can_upload": can_upload, "accept": ACCEPT,
        "form": EvidenceUploadForm() if can_upload else None,
    }, request=request)
