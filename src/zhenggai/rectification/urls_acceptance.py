from django.urls import path

from . import acceptance_views as views

urlpatterns = [
    path("acceptance/", views.acceptance_list, name="acceptance_list"),
    path("tasks/<int:pk>/start/", views.task_start_view, name="task_start"),
    path("tasks/<int:pk>/apply/", views.task_apply, name="task_apply"),
    path("tasks/<int:pk>/review/", views.task_review, name="task_review"),
    path("tasks/<int:pk>/close/", views.task_close_view, name="task_close"),
    path("tasks/<int:pk>/closure.pdf", views.closure_certificate, name="closure_certificate"),
    path("tasks/<int:pk>/lookbacks/new/", views.lookback_create, name="lookback_create"),
    path("lookbacks/<int:pk>/record/", views.lookback_record_view, name="lookback_record"),
    path("objections/<int:pk>/answer/", views.objection_answer_view, name="objection_answer"),
]
