"""URLs of complaint publication: the public pages under /portal/complaints/ (no login, names without an
app namespace) and the office's publication page of a batch. Included at the root of the site."""

from django.urls import path

from . import public_views as views

urlpatterns = [
    path("portal/complaints/", views.portal_complaints, name="portal_complaints"),
    path("portal/complaints/batches/<int:pk>/", views.portal_batch, name="portal_batch"),
    path("portal/complaints/batches/<int:pk>/table.xlsx", views.portal_batch_xlsx, name="portal_batch_xlsx"),
    path("portal/complaints/batches/<int:pk>/table.pdf", views.portal_batch_pdf, name="portal_batch_pdf"),
    path("complaints/batches/<int:pk>/publish/", views.batch_publish, name="batch_publish"),
]
