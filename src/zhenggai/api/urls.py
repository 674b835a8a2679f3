"""The REST API v1 (django-ninja). Each app keeps its routes in its own `api.py`."""

from django.urls import path
from ninja import NinjaAPI

from zhenggai import __version__

api = NinjaAPI(title="整改 API", version=__version__, urls_namespace="api-v1")


@api.get("/health", tags=["system"], summary="服务状态")
def health(request):  # type: ignore[no-untyped-def]
    return {"status": "ok", "version": __version__}


urlpatterns = [path("", api.urls)]
