"""The per-task dossier (一案一档) as a PDF: the task with its measures and milestones, every event of its
chain, every progress report, acceptance application and review, public notice and objection (without the
objector's name or contact), look-back and supervision notice, and the evidence list with each file's
full SHA-256 — as the reader may see them (see `selectors_documents.dossier_for_user`)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation

from zhenggai.rectification.models import Task

from .selectors_documents import Dossier, dossier_for_user

LANGUAGE = "zh-hans"


def size_text(size: int) -> str:
    """1536 → "1.5 KB"."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def task_dossier_pdf_bytes(*, user: Any, task: Task) -> bytes:
    """The dossier of `task` for `user` (who may see the task) as an A4 PDF with AR PL UMing embedded."""
    from zhenggai.rectification.documents import pdf_from_template

    dossier: Dossier = dossier_for_user(user, task)
    evidence = [(e, size_text(e.size)) for e in dossier.evidence]
    with translation.override(LANGUAGE):
        return pdf_from_template("reports/documents/dossier_pdf.html", {
            "d": dossier, "task": task, "evidence": evidence, "printed_at": timezone.localtime(),
        }) or b""


def dossier_filename(task: Task) -> str:
    return f"一案一档-{task.plan_id}-{task.number}.pdf"
