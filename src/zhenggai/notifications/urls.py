from django.urls import path

from . import views, views_calendar, views_hooks

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/open/", views.inbox_open, name="inbox_open"),
    path("inbox/settings/", views.notification_settings, name="notification_settings"),
    path("calendar/<str:token>.ics", views_calendar.calendar_feed, name="calendar_feed"),
    path("account/calendar/", views_calendar.calendar_settings, name="calendar_settings"),
    path("account/calendar/reset/", views_calendar.calendar_reset, name="calendar_reset"),
    path("webhooks/", views_hooks.webhook_list, name="webhook_list"),
    path("webhooks/new/", views_hooks.webhook_edit, name="webhook_create"),
    path("webhooks/<int:pk>/", views_hooks.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/edit/", views_hooks.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/toggle/", views_hooks.webhook_toggle, name="webhook_toggle"),
    path("webhooks/<int:pk>/rotate/", views_hooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/test/", views_hooks.webhook_test, name="webhook_test"),
]
