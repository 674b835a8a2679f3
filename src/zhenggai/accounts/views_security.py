"""The administrators' page of sign-ins and failures (`/security/sign-ins/`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from zhenggai.core.views_util import paginate, query_without_page

from .models import Role
from .models_security import SignInRecord
from .policies import user_has_role
from .signins import sign_in_records_for


@login_required
def sign_in_list(request: HttpRequest) -> HttpResponse:
    """Sign-ins, failures, lockouts and sign-outs, newest first; filter by kind and user name or IP."""
    if not (request.user.is_superuser or user_has_role(request.user, Role.ADMIN)):
        raise PermissionDenied
    records = sign_in_records_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in SignInRecord.Kind.values:
        records = records.filter(kind=kind)
    q = request.GET.get("q", "").strip()
    if q:
        match = Q(username__icontains=q)
        if _is_ip(q):
            match |= Q(ip_address=q)
        records = records.filter(match)
    return render(request, "accounts/sign_in_list.html", {
        "page": paginate(request, records, 50), "kinds": SignInRecord.Kind.choices, "kind": kind, "q": q,
        "query": query_without_page(request),
    })


def _is_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
