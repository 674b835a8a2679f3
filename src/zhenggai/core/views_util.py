"""Helpers shared by the staff views: scoped lookups that answer 404 for hidden and missing objects,
and rendering domain errors into forms."""

from __future__ import annotations

from typing import Any, TypeVar

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from zhenggai.accounts.policies import get_for_user

from .errors import DomainError, NotFound

M = TypeVar("M", bound=Model)


def get_scoped_or_404(user: Any, queryset: QuerySet[M], **lookup: Any) -> M:
    try:
        return get_for_user(user, queryset, **lookup)
    except NotFound as exc:
        raise Http404(str(exc.message)) from exc


def form_error(form: forms.BaseForm, error: DomainError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def paginate(request: HttpRequest, queryset: QuerySet[M], per_page: int = 25) -> Page:
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()
