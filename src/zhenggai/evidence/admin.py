"""Evidence in the admin: a read-only list through the scoping policy. Files are uploaded and deleted
through the task page and the API, whose services check types, write events and keep backing files."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhenggai.accounts.policies import scope_for, user_can

from .models import Evidence


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["original_name", "category", "task", "organization", "size", "uploaded_at"]
    list_filter = ["category", "is_public"]
    search_fields = ["original_name", "description", "sha256"]
    readonly_fields = tuple(f.name for f in Evidence._meta.fields)

    def get_queryset(self, request: HttpRequest) -> Any:
        return scope_for(request.user, super().get_queryset(request)).select_related("task", "organization")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (obj is None or user_can(request.user, "view", obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
