from django.urls import path

from . import views

urlpatterns = [
    path("tasks/<int:task_pk>/evidence/upload/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/download/", views.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/thumbnail/", views.evidence_thumbnail, name="evidence_thumbnail"),
    path("evidence/<int:pk>/public/", views.evidence_public_view, name="evidence_public"),
    path("evidence/<int:pk>/delete/", views.evidence_delete_view, name="evidence_delete"),
]
