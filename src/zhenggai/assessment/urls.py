"""Staff pages of assessment (考核) and accountability (问责)."""

from django.urls import path

from . import views, views_accountability

urlpatterns = [
    path("assessment/", views.assessment_list, name="assessment_list"),
    path("assessment/new/", views.assessment_new, name="assessment_create"),
    path("assessment/rulesets/", views.ruleset_list, name="ruleset_list"),
    path("assessment/rulesets/new/", views.ruleset_new, name="ruleset_create"),
    path("assessment/rulesets/<int:pk>/", views.ruleset_edit, name="ruleset_edit"),
    path("assessment/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessment/<int:pk>/recompute/", views.assessment_recompute, name="assessment_recompute"),
    path("assessment/<int:pk>/units/<int:org_pk>/", views.assessment_unit, name="assessment_unit"),
    path("assessment/<int:pk>/events/<int:event_pk>/", views.assessment_event, name="assessment_event"),
    path("assessment/<int:pk>/ranking.xlsx", views.assessment_ranking_xlsx, name="assessment_ranking_xlsx"),
    path("assessment/<int:pk>/scores.xlsx", views.assessment_scores_xlsx, name="assessment_scores_xlsx"),
    path("accountability/", views_accountability.accountability_list, name="accountability_list"),
    path("accountability/new/", views_accountability.accountability_create, name="accountability_create"),
    path("accountability/<int:pk>/", views_accountability.accountability_detail, name="accountability_detail"),
    path("accountability/<int:pk>/edit/", views_accountability.accountability_edit, name="accountability_edit"),
]
