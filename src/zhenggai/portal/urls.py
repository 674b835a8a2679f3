"""The public portal under /portal/ (namespace `portal`). The complaint pages under /portal/complaints/
belong to the complaints app (complaints/urls_public.py)."""

from django.urls import path, re_path

from . import media, opendata, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/qr.svg", media.plan_qr_svg, name="plan_qr_svg"),
    path("plans/<int:pk>/qr.png", media.plan_qr_png, name="plan_qr_png"),
    path("plans/<int:pk>/poster/", media.plan_poster, name="plan_poster"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("photos/<int:pk>.jpg", media.photo, name="photo"),
    path("photos/<int:pk>/thumb.jpg", media.photo_thumb, name="photo_thumb"),
    path("results/", views.results, name="results"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/<int:pk>/", views.notice_detail, name="notice_detail"),
    path("notices/<int:pk>/objection/", views.notice_objection, name="notice_objection"),
    path("data/", opendata.data_index, name="data_index"),
    re_path(r"^data/(?P<name>plans|notices|results|complaints)\.(?P<fmt>csv|json)$", opendata.dataset,
            name="dataset"),
    re_path(r"^data/plans/(?P<pk>[0-9]+)/tasks\.(?P<fmt>csv|json)$", opendata.plan_tasks, name="plan_tasks"),
    path("feed.atom", opendata.feed, name="feed"),
]
