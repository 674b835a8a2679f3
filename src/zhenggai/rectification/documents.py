"""Printable documents of the loop rendered with WeasyPrint (a CJK font from Debian is set on `html`)."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def pdf_from_template(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, context)
    return HTML(string=html).write_pdf()


def closure_certificate_pdf(task: Any) -> bytes:
    """销号确认单: the task, the application, the passed review, the notice and the closure date."""
    from zhenggai.core.models import Event

    from .models import PublicNotice

    notice = (PublicNotice.objects.filter(task=task).exclude(status=PublicNotice.Status.WITHDRAWN)
              .select_related("application", "application__review", "application__unit").order_by("-id").first())
    closed = Event.objects.filter(object_type="task", object_id=str(task.pk), verb="task.close").order_by("-seq").first()
    return pdf_from_template("acceptance/closure_certificate.html", {
        "task": task, "notice": notice, "application": notice.application if notice else None,
        "review": getattr(notice.application, "review", None) if notice else None,
        "closed": closed,
        "long_term": bool(closed and closed.data.get("long_term")),
    })
