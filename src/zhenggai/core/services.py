"""A generic, audited save for simple records (inspections, plans, meetings, organizations, users).

Domain apps wrap it in their own named services, which check rights first."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction
from django.forms.models import model_to_dict

from .events import diff, event_record

M = TypeVar("M", bound=models.Model)


def _plain(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    data = model_to_dict(obj, fields=fields)
    return {k: (sorted(x.pk for x in v) if isinstance(v, list) and v and hasattr(v[0], "pk") else v) for k, v in data.items()}


def record_save(*, actor: Any, obj: M, fields: list[str], verb: str, m2m: dict[str, Any] | None = None) -> M:
    """Save `obj` (created when it has no pk) and write one event with the changed fields."""
    with transaction.atomic():
        creating = obj.pk is None
        before: dict[str, Any] = {}
        if not creating:
            old = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
            before = _plain(old, fields)
        obj.save()
        for name, values in (m2m or {}).items():
            getattr(obj, name).set(values)
        after = _plain(obj, fields)
        changes = diff(before, after)
        if creating or changes:
            event_record(
                actor=actor,
                verb=f"{verb}.{'created' if creating else 'updated'}",
                obj=obj,
                data={"after": after} if creating else {"changes": changes},
            )
    return obj
