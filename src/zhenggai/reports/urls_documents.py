"""Generated documents: filtered ledger, monthly dispatch bulletin, task dossier, closure notice table."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
