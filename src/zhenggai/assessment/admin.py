"""Assessment and accountability in the admin: read-only, scoped like the pages. Rule sets, assessments
and cases are written through the staff pages, whose services record the events."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import AccountabilityCase, AccountabilityPerson, Assessment, Rule, RuleSet, ScoreItem, UnitScore
from .policies import assessments_for, cases_for, rule_sets_for


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request) and (
            obj is None or self.get_queryset(request).filter(pk=obj.pk).exists())

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RuleInline(admin.TabularInline):
    model = Rule
    extra = 0
    fields = ("sort_order", "kind", "label", "points", "params", "is_active")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RuleSet)
class RuleSetAdmin(ReadOnlyAdmin):
    list_display = ["name", "region", "base_points", "updated_at"]
    inlines = [RuleInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return rule_sets_for(request.user).select_related("region")


class UnitScoreInline(admin.TabularInline):
    model = UnitScore
    extra = 0
    fields = ("unit", "base", "deductions", "bonuses", "score", "items")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["title", "region", "period_kind", "start", "end", "rule_set", "computed_at"]
    list_filter = ["period_kind"]
    inlines = [UnitScoreInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return assessments_for(request.user).select_related("region", "rule_set")


@admin.register(ScoreItem)
class ScoreItemAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "unit", "date", "rule_label", "points", "reason", "event"]
    list_filter = ["rule_kind"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return ScoreItem.objects.filter(assessment__in=assessments_for(request.user)).select_related(
            "assessment", "unit", "event")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser


class PersonInline(admin.TabularInline):
    model = AccountabilityPerson
    extra = 0
    fields = ("name", "post")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AccountabilityCase)
class AccountabilityCaseAdmin(ReadOnlyAdmin):
    list_display = ["title", "region", "date", "recorded_by"]
    inlines = [PersonInline]
    exclude = ["tasks", "complaints"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return cases_for(request.user).select_related("region", "recorded_by")
