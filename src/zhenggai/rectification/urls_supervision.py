from django.urls import path

from . import supervision_views as views

urlpatterns = [
    path("supervision/", views.warning_board, name="warning_board"),
    path("supervision/notices/", views.notice_list, name="notice_list"),
    path("supervision/notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("supervision/notices/<int:pk>/letter.docx", views.notice_docx, name="notice_docx"),
    path("supervision/notices/<int:pk>/letter.pdf", views.notice_pdf, name="notice_pdf"),
    path("tasks/<int:task_pk>/supervise/", views.notice_create, name="notice_create"),
]
