"""Tasks in the admin: read-only lists through the scoping policy. Tasks are written through the
staff pages, the importer and the API, whose services keep measures, search text and events right."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhenggai.accounts.policies import scope_for, user_can

from .models import Measure, Milestone, Task


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0
    fields = ("number", "text", "deadline", "deadline_kind")
    readonly_fields = ("number", "text", "deadline", "deadline_kind")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["number", "short_title", "plan", "deadline", "deadline_kind", "status", "due_year"]
    list_filter = ["status", "deadline_kind", "category", "due_year"]
    search_fields = ["title", "goal"]
    inlines = [MeasureInline]
    readonly_fields = (*(f.name for f in Task._meta.fields), "implementing_units", "cooperating_units")

    def get_queryset(self, request: HttpRequest) -> Any:
        return scope_for(request.user, super().get_queryset(request)).select_related("plan")

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


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ["task", "date", "title", "percent"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return scope_for(request.user, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser
