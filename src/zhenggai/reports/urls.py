from django.urls import path

from . import views

urlpatterns = [
    path("tasks/import/", views.task_import, name="task_import"),
    path("plans/<int:pk>/ledger.xlsx", views.ledger_export, name="ledger_export"),
]
