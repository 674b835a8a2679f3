"""Admin views of inspections and plans, read through the same scoping policy as the pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhenggai.accounts.policies import CHANGE, CREATE, scope_for, user_can

from .models import Finding, Inspection, MeasureArea, Meeting, Plan


class PolicyAdmin(admin.ModelAdmin):
    """Lists only what `scope_for` allows; changes only what `user_can` allows."""

    def get_queryset(self, request: HttpRequest) -> Any:
        return scope_for(request.user, super().get_queryset(request))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (obj is None or user_can(request.user, "view", obj))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.has_module_permission(request) and user_can(request.user, CREATE, self.model)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (
            user_can(request.user, CREATE, self.model) if obj is None else user_can(request.user, CHANGE, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0


class MeasureAreaInline(admin.TabularInline):
    model = MeasureArea
    extra = 0


@admin.register(Inspection)
class InspectionAdmin(PolicyAdmin):
    list_display = ["title", "level", "kind", "target_region", "start_date", "end_date", "feedback_date"]
    list_filter = ["level", "kind"]
    search_fields = ["title"]
    inlines = [FindingInline]

    def save_model(self, request: HttpRequest, obj: Inspection, form: Any, change: bool) -> None:
        from .services import inspection_save

        inspection_save(actor=request.user, inspection=obj)


@admin.register(Plan)
class PlanAdmin(PolicyAdmin):
    list_display = ["title", "inspection", "published_date", "version"]
    search_fields = ["title"]
    inlines = [MeasureAreaInline]

    def save_model(self, request: HttpRequest, obj: Plan, form: Any, change: bool) -> None:
        from .services import plan_save

        plan_save(actor=request.user, plan=obj)


@admin.register(Meeting)
class MeetingAdmin(PolicyAdmin):
    list_display = ["date", "title", "body", "inspection"]
    filter_horizontal = ["tasks"]
