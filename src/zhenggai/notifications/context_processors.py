from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated):
        return {}
    from .models import Notification

    return {"unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count()}
