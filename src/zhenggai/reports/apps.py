from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "zhenggai.reports"
    label = "reports"
    verbose_name = _("导入导出与报表")
