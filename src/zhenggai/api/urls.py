"""The REST API v1 (django-ninja). Each app keeps its routes in its own `api.py`; they are wired here.

Every call authenticates with a personal token (Bearer) or the browser session (writes with CSRF), is
rate-limited per token/user, answers errors in one format (see `errors.py`), and every write accepts an
`Idempotency-Key` (see `idempotency.py`). The schema is at /api/v1/openapi.json, the docs at /api/v1/docs.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, path, re_path
from ninja import NinjaAPI, Schema
from ninja.openapi.docs import Swagger

from zhenggai import __version__
from zhenggai.accounts.api import router as accounts_router
from zhenggai.assessment.api import router as assessment_router
from zhenggai.complaints.api import router as complaints_router
from zhenggai.evidence.api import router as evidence_router
from zhenggai.inspections.api import router as inspections_router
from zhenggai.integrity.api import router as integrity_router
from zhenggai.notifications.api import router as hooks_router
from zhenggai.notifications.api_inbox import router as inbox_router
from zhenggai.portal.api import router as public_router
from zhenggai.rectification.api import router as tasks_router
from zhenggai.reports.api import router as reports_router

from .auth import API_AUTH
from .errors import install_error_handlers, not_found_view
from .idempotency import OPENAPI_HEADER, WRITE_METHODS, idempotent
from .throttle import PerMinuteThrottle

DESCRIPTION = """督察整改闭环管理系统的接口，与工作页面使用相同的权限、范围和状态规则。

- 认证：个人接口令牌（请求头 `Authorization: Bearer <令牌>`，在“接口令牌”页面或用 `zhenggai create-token` 创建），
  或浏览器登录会话（写操作须带 `X-CSRFToken` 请求头）。
- 错误：统一为 `{"code", "message", "field"}`，`message` 使用用户的界面语言。
- 写操作可带 `Idempotency-Key` 请求头：24 小时内以同一键重试，返回首次的结果而不重复执行。
- 限流：每个令牌（或用户）每分钟的请求数有上限，超出时答复 429 并带 `Retry-After`。
- 清单分页：`page`、`page_size`（最多 100）。
"""

api = NinjaAPI(
    title="整改 API",
    version=__version__,
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=API_AUTH,
    throttle=[PerMinuteThrottle()],
    docs=Swagger(settings={"persistAuthorization": True}),
)
install_error_handlers(api)


class HealthOut(Schema):
    status: str
    version: str


@api.get("/health", tags=["system"], summary="服务状态", auth=None, response=HealthOut)
def health(request: Any) -> dict[str, str]:
    """服务是否可用（无需认证）。"""
    return {"status": "ok", "version": __version__}


api.add_router("", reports_router)  # first: /tasks/import, /tasks/export.xlsx… before /tasks/{task_id}
api.add_router("", tasks_router)
api.add_router("", inspections_router)
api.add_router("", evidence_router)
api.add_router("", complaints_router)
api.add_router("", assessment_router)
api.add_router("", public_router)
api.add_router("", hooks_router)
api.add_router("", accounts_router)
api.add_router("", inbox_router)
api.add_router("", integrity_router)


def _document_idempotency(api: NinjaAPI) -> None:
    """Every write operation documents the optional Idempotency-Key header."""
    schema_method = api.get_openapi_schema

    def get_openapi_schema(*args: Any, **kwargs: Any) -> Any:
        schema = schema_method(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for method, operation in operations.items():
                if method.upper() in WRITE_METHODS:
                    params = operation.setdefault("parameters", [])
                    if not any(p.get("name") == OPENAPI_HEADER["name"] for p in params):
                        params.append(dict(OPENAPI_HEADER))
        return schema

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]


_document_idempotency(api)


def _wrap(patterns: list[Any]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = idempotent(pattern.callback)
    return patterns


_patterns, _app_name, _namespace = api.urls
urlpatterns = [
    path("", (_wrap(list(_patterns)), _app_name, _namespace)),
    re_path(r"^.*$", not_found_view),
]
