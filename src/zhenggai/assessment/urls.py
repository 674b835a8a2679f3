"""Staff pages of assessment (考核) and accountability (问责)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
