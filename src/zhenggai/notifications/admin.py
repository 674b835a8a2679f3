"""Django admin: group robots are managed here by superusers and by `admin` users for the organizations of
their region; the delivery log is read-only (same scope); messages are read-only for superusers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization
from zhenggai.core.errors import DomainError
from zhenggai.core.events import event_record

from .forms import EVENT_TYPES_HELP, EventTypesField
from .hook_services import webhook_admin_prefix, webhook_target_save
from .models import CalendarFeed, Notification, WebhookDelivery, WebhookTarget
from .webhooks import Status, webhook_send_test


def _region_prefix(request: HttpRequest) -> str | None:
    """"" for superusers (everything), the region path for `admin` users, None for everyone else."""
    return webhook_admin_prefix(request.user)


def _in_scope(request: HttpRequest, target: WebhookTarget | None) -> bool:
    prefix = _region_prefix(request)
    if prefix is None:
        return False
    return target is None or target.organization.region.path.startswith(prefix)


class WebhookTargetForm(forms.ModelForm):
    event_types = EventTypesField(label=_("订阅的事件"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text=EVENT_TYPES_HELP)
    url = forms.URLField(
        label=_("地址"), max_length=500, assume_scheme="https",
        help_text=_("群机器人的 Webhook 地址，例如 https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=… 或 "
                    "https://oapi.dingtalk.com/robot/send?access_token=…"),
    )

    class Meta:
        model = WebhookTarget
        fields = ["organization", "name", "url", "format", "event_types", "is_active", "secret"]
        widgets = {"secret": forms.PasswordInput(render_value=True)}
        help_texts = {
            "secret": _("钉钉机器人使用“加签”安全设置时填写（SEC 开头）。通用事件推送的签名密钥由系统生成，在此留空。"),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("format") == WebhookTarget.Format.GENERIC and not data.get("event_types"):
            self.add_error("event_types", _("请至少填写一个事件类型，例如 task.* 或 *。"))
        return data


@admin.register(WebhookTarget)
class WebhookTargetAdmin(admin.ModelAdmin):
    form = WebhookTargetForm
    list_display = ["name", "organization", "format", "is_active", "signed"]
    list_filter = ["format", "is_active"]
    search_fields = ["name", "organization__name"]
    actions = ["send_test_message"]

    @admin.display(boolean=True, description=_("加签"))
    def signed(self, obj: WebhookTarget) -> bool:
        return bool(obj.secret)

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookTarget]:
        queryset = super().get_queryset(request).select_related("organization__region")
        prefix = _region_prefix(request)
        if prefix is None:
            return queryset.none()
        return queryset.filter(organization__region__path__startswith=prefix) if prefix else queryset

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "organization":
            prefix = _region_prefix(request)
            organizations = Organization.objects.filter(is_active=True).order_by("path")
            kwargs["queryset"] = (
                organizations.none() if prefix is None
                else organizations.filter(region__path__startswith=prefix) if prefix else organizations
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _region_prefix(request) is not None

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _in_scope(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _in_scope(request, obj)

    def save_model(self, request: HttpRequest, obj: WebhookTarget, form: Any, change: bool) -> None:
        """Through the same service as the staff page (an event hook's secret is generated there)."""
        original = WebhookTarget.objects.get(pk=obj.pk) if change and obj.pk else None
        try:
            saved = webhook_target_save(
                actor=request.user, target=original, organization=obj.organization, name=obj.name, url=obj.url,
                format=obj.format, event_types=list(obj.event_types or []), is_active=obj.is_active,
                robot_secret=obj.secret if "secret" in form.changed_data else None,
            )
        except DomainError as error:
            raise ValidationError(str(error.message)) from error
        obj.pk, obj.secret = saved.pk, saved.secret

    def delete_model(self, request: HttpRequest, obj: WebhookTarget) -> None:
        with transaction.atomic():
            event_record(actor=request.user, verb="webhook_target.deleted", obj=obj,
                         data={"name": obj.name, "organization": str(obj.organization)})
            obj.delete()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[WebhookTarget]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    @admin.action(description=_("发送测试消息"))
    def send_test_message(self, request: HttpRequest, queryset: QuerySet[WebhookTarget]) -> None:
        for target in queryset:
            status = webhook_send_test(target=target, actor_name=request.user.get_username()).status
            if status == Status.SENT:
                self.message_user(request, gettext("%(name)s：测试消息已发送。") % {"name": target.name}, messages.SUCCESS)
            else:
                self.message_user(request, gettext("%(name)s：发送失败，请查看推送记录。") % {"name": target.name},
                                  messages.ERROR)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "target", "key", "status", "attempts", "response_code", "error", "sent_at"]
    list_filter = ["status", "target__format"]
    search_fields = ["key", "target__name", "target__organization__name"]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        queryset = super().get_queryset(request).select_related("target__organization__region")
        prefix = _region_prefix(request)
        if prefix is None:
            return queryset.none()
        return queryset.filter(target__organization__region__path__startswith=prefix) if prefix else queryset

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _region_prefix(request) is not None

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _in_scope(request, obj.target if obj is not None else None)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "title", "read_at", "emailed_at", "digested_at"]
    list_filter = ["kind"]
    search_fields = ["title", "key", "user__username"]
    date_hierarchy = "created_at"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Superusers may see which users have a feed (not the token) and delete one to cut a leaked URL off."""

    list_display = ["user", "created_at"]
    search_fields = ["user__username"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser
