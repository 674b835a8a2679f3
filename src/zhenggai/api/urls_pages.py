"""Staff pages of the API app (mounted at the site root)."""

from django.urls import path

from . import views

urlpatterns = [
    path("account/tokens/", views.api_tokens, name="api_tokens"),
    path("account/tokens/<int:pk>/revoke/", views.api_token_revoke_view, name="api_token_revoke"),
]
