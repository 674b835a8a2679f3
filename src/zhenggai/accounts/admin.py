"""Django admin for regions, organizations and users, scoped by the same policy as the pages:
an `admin` manages its own region; superusers everything."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from .models import Organization, Region, Role, User, UserRole
from .policies import MANAGE, scope_for, user_can, user_has_role


class ScopedAdminMixin:
    """Rows limited by `scope_for`; changes allowed when `user_can(user, "manage", obj)`."""

    def _is_manager(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or user_has_role(request.user, Role.ADMIN)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_manager(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_manager(request) and (obj is None or user_can(request.user, "view", obj) or request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._is_manager(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_manager(request) and (obj is None or user_can(request.user, MANAGE, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def get_queryset(self, request: HttpRequest) -> Any:
        return scope_for(request.user, super().get_queryset(request))  # type: ignore[misc]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "level", "parent"]
    search_fields = ["name", "code"]
    list_filter = ["level"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or user_has_role(request.user, Role.ADMIN)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    has_add_permission = has_change_permission  # type: ignore[assignment]
    has_delete_permission = has_change_permission


@admin.register(Organization)
class OrganizationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "region", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name"]
    autocomplete_fields = ["parent"]

    def save_model(self, request: HttpRequest, obj: Organization, form: Any, change: bool) -> None:
        from .services import organization_save

        organization_save(actor=request.user, organization=obj)


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    list_display = ["username", "get_full_name", "organization", "is_active", "last_login"]
    list_filter = ["is_active", "roles__role"]
    search_fields = ["username", "first_name", "last_name", "organization__name"]
    inlines = [UserRoleInline]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("单位", {"fields": ("organization", "title", "phone")}),
    )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if not request.user.is_superuser:
            for name in ("is_superuser", "user_permissions", "groups"):
                form.base_fields.pop(name, None)
            if "organization" in form.base_fields:
                form.base_fields["organization"].queryset = scope_for(  # type: ignore[attr-defined]
                    request.user, Organization.objects.all()
                )
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        hidden = {"is_superuser", "user_permissions", "groups"}
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in hidden]}) for name, opts in fieldsets]
