"""Complaint cases in the admin: read-only lists through the scoping policy. Cases are written through
the staff pages, the importer and the services, which keep events, search text and reviews right.
The complainant is not shown here at all (DOMAIN §4: visible to the office only, in its own pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from zhenggai.accounts.policies import scope_for, user_can

from .models import Complaint, ComplaintLookBack, HandoverBatch


class ScopedReadOnlyAdmin(admin.ModelAdmin):
    def get_queryset(self, request: HttpRequest) -> Any:
        return scope_for(request.user, super().get_queryset(request))

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


@admin.register(HandoverBatch)
class HandoverBatchAdmin(ScopedReadOnlyAdmin):
    list_display = ["inspection", "number", "handed_over", "reply_days", "published_at"]
    list_filter = ["inspection"]


@admin.register(Complaint)
class ComplaintAdmin(ScopedReadOnlyAdmin):
    list_display = ["acceptance_number", "batch", "is_priority", "lead_unit", "reply_deadline", "status",
                    "review_status"]
    list_filter = ["status", "review_status", "is_priority", "truthfulness"]
    search_fields = ["acceptance_number"]
    exclude = ["search_text", "published_data"]
    readonly_fields = [f.name for f in Complaint._meta.fields if f.name not in ("search_text", "published_data")]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("batch", "lead_unit")


@admin.register(ComplaintLookBack)
class ComplaintLookBackAdmin(ScopedReadOnlyAdmin):
    list_display = ["complaint", "scheduled_date", "done", "result"]
