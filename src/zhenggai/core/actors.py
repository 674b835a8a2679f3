"""The explicit system actor: background jobs and commands act as this user, so every event has an actor."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

SYSTEM_USERNAME = "system"


def system_actor() -> Any:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"first_name": "系统", "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
