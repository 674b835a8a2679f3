from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from zhenggai.core.errors import DomainError
from zhenggai.core.views_util import form_error, get_scoped_or_404, paginate
from zhenggai.rectification.models import Task

from .forms import OrganizationForm, UserForm
from .models import Organization, Region, Role, User
from .policies import MANAGE, scope_for, task_party_q, user_can, user_has_role
from .services import organization_save, user_save


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view; django-axes counts failures and locks out after too many."""

    redirect_authenticated_user = True


@login_required
def organization_list(request: HttpRequest) -> HttpResponse:
    orgs = scope_for(request.user, Organization.objects.select_related("region", "parent"))
    kind = request.GET.get("kind", "")
    if kind:
        orgs = orgs.filter(kind=kind)
    q = request.GET.get("q", "").strip()
    if q:
        orgs = orgs.filter(Q(name__contains=q) | Q(short_name__contains=q))
    orgs = orgs.annotate(user_count=Count("users", distinct=True)).order_by("path")
    return render(
        request,
        "accounts/organization_list.html",
        {"organizations": orgs, "kinds": Organization.Kind.choices, "kind": kind, "q": q,
         "can_manage": user_can(request.user, MANAGE, Organization)},
    )


@login_required
def organization_detail(request: HttpRequest, pk: int) -> HttpResponse:
    org = get_scoped_or_404(request.user, Organization.objects.select_related("region", "parent"), pk=pk)
    tasks = (
        scope_for(request.user, Task.objects.all())
        .filter(task_party_q(org.path))
        .distinct()
        .select_related("plan")
        .order_by("deadline", "number")
    )
    return render(
        request,
        "accounts/organization_detail.html",
        {
            "org": org,
            "children": org.children.order_by("sort_order", "id"),
            "tasks": tasks[:200],
            "users": scope_for(request.user, org.users.filter(is_active=True).prefetch_related("roles")),
            "can_manage": user_can(request.user, MANAGE, org),
        },
    )


@login_required
def organization_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    org = get_scoped_or_404(request.user, Organization.objects.all(), pk=pk) if pk else Organization()
    if not user_can(request.user, MANAGE, org if pk else Organization):
        raise DjangoPermissionDenied
    visible = scope_for(request.user, Organization.objects.all()).order_by("path")
    form = OrganizationForm(request.POST or None, instance=org, organizations=visible, regions=Region.objects.all())
    if request.method == "POST" and form.is_valid():
        try:
            org = organization_save(actor=request.user, organization=form.save(commit=False))
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("单位已保存。"))
            return redirect("organization_detail", pk=org.pk)
    return render(request, "accounts/organization_form.html", {"form": form, "org": org})


def _require_user_admin(request: HttpRequest) -> None:
    if not (request.user.is_superuser or user_has_role(request.user, Role.ADMIN)):
        raise DjangoPermissionDenied


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_user_admin(request)
    users = scope_for(request.user, User.objects.select_related("organization").prefetch_related("roles"))
    users = users.exclude(username="system")
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(
            Q(username__icontains=q) | Q(last_name__contains=q) | Q(first_name__contains=q)
            | Q(organization__name__contains=q)
        )
    role = request.GET.get("role", "")
    if role:
        users = users.filter(roles__role=role)
    return render(
        request,
        "accounts/user_list.html",
        {"page": paginate(request, users.order_by("organization__path", "username"), 50), "q": q, "role": role,
         "roles": Role.choices},
    )


@login_required
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _require_user_admin(request)
    user = get_scoped_or_404(request.user, User.objects.all(), pk=pk) if pk else User()
    organizations = scope_for(request.user, Organization.objects.all()).order_by("path")
    form = UserForm(request.POST or None, instance=user, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            user_save(
                actor=request.user,
                user=form.save(commit=False),
                roles=form.cleaned_data["roles"],
                password=form.cleaned_data["password"] or None,
            )
        except DomainError as error:
            form_error(form, error)
        else:
            messages.success(request, _("用户已保存。"))
            return redirect("user_list")
    return render(request, "accounts/user_form.html", {"form": form, "edited": user})
