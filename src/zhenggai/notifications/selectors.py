"""Reads of notifications. A user only ever sees their own messages."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Notification, WebhookTarget


def notification_list_for_user(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's inbox, newest first."""
    notifications = Notification.objects.filter(user=user).order_by("-created_at", "-id")
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    return notifications


def webhook_targets_for_user(*, user: Any) -> QuerySet[WebhookTarget]:
    """The active group robots of the user's organization (where their messages go when they choose it)."""
    if getattr(user, "organization_id", None) is None:
        return WebhookTarget.objects.none()
    return (
        WebhookTarget.objects.filter(organization_id=user.organization_id, is_active=True)
        .exclude(format=WebhookTarget.Format.GENERIC)
        .order_by("name")
    )
