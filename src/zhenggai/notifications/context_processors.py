from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from .models import Notification

    # Panels of a page render their own templates with the request, and so run the context processors
    # again: count once per request.
    count = getattr(request, "_zg_unread_count", None)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        request._zg_unread_count = count  # type: ignore[attr-defined]
    return {"unread_count": count}
