"""Staff page "接口令牌": the user creates (the secret is shown once) and revokes their own tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhenggai.core.errors import DomainError
from zhenggai.core.views_util import form_error

from .forms import TokenForm
from .models import ApiToken
from .services import api_token_create, api_token_revoke, api_tokens_for_user


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = api_token_create(user=request.user, name=form.cleaned_data["name"],
                                              expires_days=form.cleaned_data["expires_days"])
        except DomainError as error:
            form_error(form, error)
        else:
            form = TokenForm()
    response = render(request, "api/tokens.html", {
        "form": form, "secret": secret, "tokens": api_tokens_for_user(request.user),
    })
    response["Cache-Control"] = "no-store"  # the secret must not stay in any cache
    return response


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(pk=pk, user_id=request.user.pk or 0).first()
    if token is None:
        raise Http404
    api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("令牌“%(name)s”已吊销。") % {"name": token.name})
    return redirect("api_tokens")
