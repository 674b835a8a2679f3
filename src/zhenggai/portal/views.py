"""The public site (no login). It grows in a later step; for now a home page listing published plans."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhenggai.inspections.models import Plan


def home(request: HttpRequest) -> HttpResponse:
    plans = Plan.objects.filter(published_date__isnull=False).select_related("inspection").order_by("-published_date")
    return render(request, "portal/home.html", {"plans": plans})
