"""Integrity flags in the admin: read-only and scoped like the pages; decisions are taken on the review
pages, whose services record the events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import IntegrityFlag
from .policies import flags_for


@admin.register(IntegrityFlag)
class IntegrityFlagAdmin(admin.ModelAdmin):
    list_display = ("id", "check_code", "status", "task", "complaint", "unit", "region", "first_found", "still_found")
    list_filter = ("status", "check_code", "still_found")
    search_fields = ("reason", "key")
    list_select_related = ("task", "complaint", "unit", "region")

    def get_queryset(self, request: HttpRequest) -> Any:
        return flags_for(request.user, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists())

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
