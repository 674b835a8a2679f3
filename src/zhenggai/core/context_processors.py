from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, Any]:
    from zhenggai.accounts.models import Role
    from zhenggai.accounts.policies import user_has_role

    user = getattr(request, "user", None)
    superuser = bool(user and user.is_authenticated and user.is_superuser)
    return {
        "DEMO_MODE": settings.DEMO_MODE,
        "perms_ui": {
            "manage_users": superuser or user_has_role(user, Role.ADMIN),
            "import_tasks": superuser or user_has_role(user, Role.OFFICE),
            "office": superuser or user_has_role(user, Role.OFFICE),
            "bulletins": superuser or any(user_has_role(user, r) for r in (Role.OFFICE, Role.LEADER, Role.DISCIPLINE)),
            "accountability": superuser or any(user_has_role(user, r)
                                               for r in (Role.OFFICE, Role.LEADER, Role.DISCIPLINE)),
        },
    }
