from django.http import Http404, HttpRequest, HttpResponse


def task_import(request: HttpRequest) -> HttpResponse:
    raise Http404


def ledger_export(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
