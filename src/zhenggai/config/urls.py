from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from zhenggai.core import views as core_views

admin.site.site_header = "整改 · 系统管理"
admin.site.site_title = "整改"

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("zhenggai.api.urls")),
    path("portal/", include("zhenggai.portal.urls")),
    path("", include("zhenggai.accounts.urls")),
    path("", include("zhenggai.api.urls_pages")),
    path("", include("zhenggai.evidence.urls")),
    path("", include("zhenggai.notifications.urls")),
    path("", include("zhenggai.rectification.urls_rounds")),
    path("", include("zhenggai.rectification.urls_supervision")),
    path("", include("zhenggai.rectification.urls_acceptance")),
    path("", include("zhenggai.complaints.urls_import")),
    path("", include("zhenggai.complaints.urls_public")),
    path("", include("zhenggai.complaints.urls")),
    path("", include("zhenggai.reports.urls")),
    path("", include("zhenggai.reports.urls_dashboards")),
    path("", include("zhenggai.reports.urls_documents")),
    path("", include("zhenggai.assessment.urls")),
    path("", include("zhenggai.integrity.urls")),
    path("", include("zhenggai.inspections.urls")),
    path("", include("zhenggai.rectification.urls")),
]

