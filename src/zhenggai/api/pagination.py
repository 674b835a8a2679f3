"""Pagination of API lists: `page` (from 1) and `page_size` (default 25, at most 100), answered as
{"items": [...], "count": total, "page": n, "page_size": n}."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
MAX_PAGE = 100_000
# Database ids and numbers fit in a signed 32-bit integer; larger values are refused (422), not sent on.
MAX_ID = 2_147_483_647


class Pages(PaginationBase):
    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE, description="页码，从 1 开始")
        page_size: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="每页条数，最多 100")

    class Output(Schema):
        items: list[Any]
        count: int = Field(..., description="符合条件的总条数")
        page: int = Field(..., description="当前页码")
        page_size: int = Field(..., description="每页条数")

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest,  # type: ignore[override]
                          **params: Any) -> Any:
        offset = (pagination.page - 1) * pagination.page_size
        return {
            "items": list(queryset[offset : offset + pagination.page_size]),
            "count": self._items_count(queryset),
            "page": pagination.page,
            "page_size": pagination.page_size,
        }
