"""Dashboards (统计分析) for the office, leaders and the discipline body."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
