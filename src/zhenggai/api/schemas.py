"""Schemas and input types shared by the apps' API routes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Schema
from pydantic import AfterValidator

from .pagination import MAX_ID


def _clean_text(value: str) -> str:
    """Refuse characters no database stores: NUL and lone surrogates."""
    if "\x00" in value:
        raise ValueError(_("文本不能包含空字符"))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(_("文本包含无效字符")) from exc
    return value


Text = Annotated[str, AfterValidator(_clean_text)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def id_path(description: str) -> Any:
    return Path(..., ge=1, le=MAX_ID, description=description)


class UnitRef(Schema):
    """单位（引用）。"""

    id: int = Field(..., description="单位编号")
    name: str = Field(..., description="单位名称")


class RegionRef(Schema):
    """行政区域（引用）。"""

    id: int = Field(..., description="区域编号")
    name: str = Field(..., description="区域名称")


class EventOut(Schema):
    """操作记录：对象的每一次变更（只增不改，哈希链保护）。"""

    seq: int = Field(..., description="在该对象记录链中的序号")
    created_at: dt.datetime = Field(..., description="时间")
    actor_name: str = Field(..., description="操作人")
    verb: str = Field(..., description="动作代码，如 task.start")
    data: dict[str, Any] = Field(..., description="变更内容（变更前后的值等）")


def unit_ref(org: Any) -> dict[str, Any] | None:
    return {"id": org.pk, "name": org.name} if org is not None else None


class ApiRequest(HttpRequest):
    """The request as API views see it: `auth` is the authenticated user."""

    auth: Any
