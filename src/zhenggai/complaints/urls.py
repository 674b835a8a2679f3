from django.urls import path

from . import views

urlpatterns = [
    path("complaints/", views.complaint_list, name="complaint_list"),
    path("complaints/export.xlsx", views.complaint_list_export, name="complaint_list_export"),
    path("complaints/statistics/", views.complaint_statistics, name="complaint_statistics"),
    path("complaints/batches/", views.batch_list, name="batch_list"),
    path("complaints/batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/handle/", views.complaint_handle, name="complaint_handle"),
    path("complaints/<int:pk>/assign/", views.complaint_assign, name="complaint_assign"),
    path("complaints/<int:pk>/review/", views.complaint_review, name="complaint_review"),
    path("complaints/<int:pk>/submit/", views.complaint_submit, name="complaint_submit"),
    path("complaints/<int:pk>/link/", views.complaint_link, name="complaint_link"),
    path("complaints/<int:pk>/evidence/", views.complaint_evidence_upload, name="complaint_evidence_upload"),
    path("complaints/<int:pk>/lookback/", views.complaint_lookback, name="complaint_lookback"),
]
