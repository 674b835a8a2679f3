from django.urls import path

from . import round_views as views

urlpatterns = [
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:round_pk>/tasks/<int:task_pk>/report/", views.report_edit, name="report_edit"),
    path("tasks/<int:task_pk>/report/", views.report_adhoc, name="report_adhoc"),
]
