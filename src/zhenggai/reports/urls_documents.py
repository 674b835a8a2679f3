"""Generated documents: filtered ledger, monthly dispatch bulletin, task dossier, closure notice table."""

from django.urls import path

from . import document_views as views

urlpatterns = [
    path("tasks/ledger.xlsx", views.task_ledger_export, name="task_ledger_export"),
    path("tasks/<int:pk>/dossier.pdf", views.task_dossier_pdf, name="task_dossier_pdf"),
    path("plans/<int:pk>/closure-notices.pdf", views.closure_notice_table_pdf, name="closure_notice_table_pdf"),
    path("reports/bulletins/", views.bulletin_list, name="bulletin_list"),
    path("reports/bulletins/<int:pk>.pdf", views.bulletin_download, {"kind": "pdf"}, name="bulletin_pdf"),
    path("reports/bulletins/<int:pk>.docx", views.bulletin_download, {"kind": "docx"}, name="bulletin_docx"),
]
