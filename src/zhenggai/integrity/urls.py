"""Staff pages of the integrity review."""

from django.urls import path

from . import views

urlpatterns = [
    path("integrity/", views.flag_list, name="integrity_flag_list"),
    path("integrity/export.xlsx", views.flag_list_export, name="integrity_flag_export"),
    path("integrity/<int:pk>/", views.flag_detail, name="integrity_flag_detail"),
]
