from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrityConfig(AppConfig):
    name = "zhenggai.integrity"
    label = "integrity"
    verbose_name = _("整改真实性核查")

    def ready(self) -> None:
        from .triggers import connect

        connect()
