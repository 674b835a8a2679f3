"""Dashboards (统计分析) for the office, leaders and the discipline body."""

from django.urls import path, re_path

from . import dashboard_views as views

urlpatterns = [
    path("dashboards/", views.dashboard, name="dashboard"),
    path("dashboards/office/", views.dashboard_office, name="dashboard_office"),
    path("dashboards/leader/", views.dashboard_leader, name="dashboard_leader"),
    path("dashboards/discipline/", views.dashboard_discipline, name="dashboard_discipline"),
    re_path(r"^dashboards/data/(?P<chart>[a-z_]+)\.(?P<ext>xlsx|csv)$", views.dashboard_data, name="dashboard_data"),
]
