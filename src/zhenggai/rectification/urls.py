from django.urls import path

from . import views

urlpatterns = [
    path("", views.workbench, name="workbench"),
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/export.xlsx", views.task_list_export, name="task_list_export"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("plans/<int:plan_pk>/tasks/new/", views.task_edit, name="task_create"),
]
