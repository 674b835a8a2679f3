from django.contrib import admin

from .models import Event, WorkCalendar


@admin.register(WorkCalendar)
class WorkCalendarAdmin(admin.ModelAdmin):
    list_display = ["date", "is_workday", "name", "source"]
    list_filter = ["is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"

    def has_module_permission(self, request):  # type: ignore[no-untyped-def]
        from zhenggai.accounts.policies import user_has_role

        return request.user.is_superuser or user_has_role(request.user, "admin")

    has_view_permission = has_change_permission = has_add_permission = has_delete_permission = (  # type: ignore[assignment]
        lambda self, request, obj=None: self.has_module_permission(request)
    )


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_name", "verb", "object_type", "object_repr"]
    list_filter = ["verb", "object_type"]
    search_fields = ["object_repr", "actor_name"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_view_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return request.user.is_superuser
