"""One error format for every API error: {"code", "message" (in the user's language), "field"}.

Status codes:
- 401 unauthenticated / token_invalid / token_expired / token_revoked
- 403 permission_denied, csrf_failed
- 404 not_found (hidden and missing objects alike)
- 409 a rule of the domain refused the action in the object's current state (e.g. transition_refused)
- 422 invalid input: the request's shape (`invalid`) or a domain rule about one field (`validation_failed`)
- 429 rate_limited (with Retry-After)
- 507 storage_full: the file storage has no room left; nothing was stored
- 500 server_error (a generic message; the error is logged)
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from zhenggai.core.errors import DomainError, NotFound, PermissionDenied, StorageFull, ValidationFailed

from .services import TokenRefused

logger = logging.getLogger("zhenggai.api")


class ErrorOut(Schema):
    """错误响应：所有错误共用的格式。"""

    code: str = Field(..., description="错误代码（英文，稳定，可供程序判断），如 not_found、permission_denied")
    message: str = Field(..., description="错误说明，使用用户的界面语言")
    field: str | None = Field(None, description="出错的字段名；与单个字段无关时为 null")


ERROR_RESPONSES: dict[int, Any] = {
    401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut,
}
READ_ERRORS: dict[int, Any] = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def error_body(code: str, message: object, field: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": str(message), "field": field}


def error_response(status: int, code: str, message: object, field: str | None = None) -> HttpResponse:
    response = JsonResponse(error_body(code, message, field), status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


def domain_status(error: DomainError) -> int:
    if isinstance(error, TokenRefused):
        return 401
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, StorageFull):
        return 507
    if isinstance(error, ValidationFailed) or error.field:
        return 422
    return 409


# Pydantic's error types in the user's language (the rest fall back to a general phrase).
_PROBLEMS = {
    "missing": lambda: _("必须填写"),
    "int_parsing": lambda: _("应为整数"),
    "int_type": lambda: _("应为整数"),
    "float_parsing": lambda: _("应为数字"),
    "bool_parsing": lambda: _("应为 true 或 false"),
    "date_from_datetime_parsing": lambda: _("应为日期（YYYY-MM-DD）"),
    "date_parsing": lambda: _("应为日期（YYYY-MM-DD）"),
    "string_type": lambda: _("应为文本"),
    "string_too_long": lambda: _("过长"),
    "string_too_short": lambda: _("不能为空"),
    "greater_than_equal": lambda: _("过小"),
    "less_than_equal": lambda: _("过大"),
    "literal_error": lambda: _("不是允许的取值"),
    "enum": lambda: _("不是允许的取值"),
    "list_type": lambda: _("应为列表"),
    "json_invalid": lambda: _("不是有效的 JSON"),
    "model_attributes_type": lambda: _("应为对象"),
    "dict_type": lambda: _("应为对象"),
}
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_name(loc: Any) -> str | None:
    parts = [str(p) for p in (loc or ())]
    while parts and (parts[0] in _SOURCES or parts[0].startswith("payload") or parts[0] == "filters"):
        parts = parts[1:]
    return ".".join(parts) or None


def validation_error_response(errors: list[dict[str, Any]]) -> HttpResponse:
    first = errors[0] if errors else {}
    field = _field_name(first.get("loc"))
    problem = _PROBLEMS.get(str(first.get("type")), lambda: _("取值不正确"))()
    message = (_("“%(field)s”%(problem)s。") % {"field": field, "problem": problem} if field
               else _("请求内容不正确：%(problem)s。") % {"problem": problem})
    return error_response(422, "invalid", message, field)


def install_error_handlers(api: NinjaAPI) -> None:
    """Route every error the API can raise through the one error format."""

    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return error_response(domain_status(exc), exc.code, exc.message, exc.field)

    @api.exception_handler(ValidationError)
    def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return validation_error_response(list(exc.errors))

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(404, NotFound.code, NotFound().message)

    @api.exception_handler(DjangoPermissionDenied)
    def _forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return error_response(403, PermissionDenied.code, PermissionDenied().message)

    @api.exception_handler(HttpError)
    def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError):
            return error_response(401, "unauthenticated", _("请先登录，或在请求头中提供有效的接口令牌。"))
        if isinstance(exc, Throttled):
            return error_response(429, "rate_limited", _("请求过于频繁，请稍后再试。"))
        if exc.status_code == 403 and "CSRF" in str(exc):
            return error_response(403, "csrf_failed", _("CSRF 校验失败：使用登录会话写入时须提供 X-CSRFToken 请求头。"))
        if exc.status_code == 400:  # e.g. a body that is not JSON: answered as any other invalid input
            return error_response(422, "invalid", _("请求内容不正确：%(problem)s。") % {"problem": _("不是有效的 JSON")})
        if exc.status_code == 404:
            return error_response(404, NotFound.code, NotFound().message)
        return error_response(exc.status_code, f"http_{exc.status_code}", str(exc))

    @api.exception_handler(Exception)
    def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s %s", request.method, request.path)
        return error_response(500, "server_error", _("服务器内部错误，请稍后再试；问题已记录。"))


def not_found_view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Unknown paths under /api/v1/ answer in the API's error format too."""
    return error_response(404, NotFound.code, NotFound().message)
