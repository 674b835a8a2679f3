from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "zhenggai.notifications"
    label = "notifications"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from . import event_hooks  # noqa: F401 -- connects the event hook point (post_save of Event)
