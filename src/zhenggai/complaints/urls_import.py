from django.urls import path

from . import import_views

urlpatterns = [
    path("complaints/import/", import_views.complaint_import, name="complaint_import"),
]
