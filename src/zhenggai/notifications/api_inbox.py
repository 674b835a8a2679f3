"""API routes of the inbox and of one's notification settings (/api/v1/inbox…,
/api/v1/account/notification-settings). They call the same selectors and services as the "消息" and
"提醒设置" pages: a user only ever sees and changes their own messages and preference."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import MAX_ID, Pages
from zhenggai.api.schemas import ApiRequest, id_path

from .models import NotificationPreference
from .selectors import notification_list_for_user
from .services import (
    notification_mark_read,
    notification_open,
    notification_preference_for,
    notification_preference_save,
)

router = Router(tags=["消息与提醒"])

FrequencyValue = Literal["daily", "immediate"]
assert set(FrequencyValue.__args__) == set(NotificationPreference.Frequency.values)  # type: ignore[attr-defined]


class InboxMessageOut(Schema):
    """一条消息。"""

    id: int = Field(..., description="消息编号")
    kind: str = Field(..., description="类型代码，如 task.deadline")
    title: str = Field(..., description="标题")
    body: str = Field(..., description="内容")
    url: str = Field(..., description="相关页面的链接（站内路径），可能为空")
    created_at: dt.datetime = Field(..., description="时间")
    read_at: dt.datetime | None = Field(None, description="已读时间；null 表示未读")


class InboxQuery(Schema):
    unread: bool = Field(False, description="true：只列未读消息")


class InboxMarkReadIn(Schema):
    """标为已读：列出消息编号，或不填表示全部未读消息。"""

    ids: list[int] | None = Field(None, max_length=500, description="消息编号；不填则全部标为已读")


class InboxMarkReadOut(Schema):
    count: int = Field(..., description="本次标为已读的条数")


class InboxPreferenceOut(Schema):
    """本人的提醒设置。"""

    frequency: str = Field(..., description="提醒频率：daily 每日汇总一次、immediate 即时")
    by_email: bool = Field(..., description="发送邮件")
    by_webhook: bool = Field(..., description="推送到本单位工作群（群机器人）")


class InboxPreferenceIn(Schema):
    """修改本人的提醒设置（三项都要填写）。"""

    frequency: FrequencyValue = Field(..., description="提醒频率：daily 每日汇总一次、immediate 即时")
    by_email: bool = Field(..., description="发送邮件")
    by_webhook: bool = Field(..., description="推送到本单位工作群（群机器人）")


@router.get("/inbox", response={200: list[InboxMessageOut], **READ_ERRORS}, summary="我的消息")
@paginate(Pages)
def inbox_list(request: ApiRequest, filters: Query[InboxQuery]) -> Any:
    """当前用户自己的消息，从新到旧；`unread=true` 只列未读。"""
    return notification_list_for_user(user=request.auth, unread_only=filters.unread)


@router.post("/inbox/read", response={200: InboxMarkReadOut, **ERROR_RESPONSES}, summary="标为已读")
def inbox_mark_read(request: ApiRequest, payload: InboxMarkReadIn) -> Any:
    """把自己的未读消息标为已读（指定的几条或全部）；别人的消息不受影响。"""
    ids = [i for i in payload.ids if 1 <= i <= MAX_ID] if payload.ids is not None else None
    return {"count": notification_mark_read(user=request.auth, ids=ids)}


@router.post("/inbox/{message_id}/open", response={200: InboxMessageOut, **ERROR_RESPONSES}, summary="打开消息")
def inbox_open(request: ApiRequest, message_id: int = id_path("消息编号")) -> Any:
    """打开自己的一条消息并标为已读（同页面上点开消息）；别人的消息与不存在的一样答复 404。"""
    return notification_open(user=request.auth, pk=message_id)


@router.get("/account/notification-settings", response={200: InboxPreferenceOut, **READ_ERRORS},
            summary="我的提醒设置")
def preference_detail(request: ApiRequest) -> Any:
    """从未设置过时为默认值：发送邮件、每日汇总一次。"""
    return notification_preference_for(user=request.auth)


@router.put("/account/notification-settings", response={200: InboxPreferenceOut, **ERROR_RESPONSES},
            summary="修改提醒设置")
def preference_update(request: ApiRequest, payload: InboxPreferenceIn) -> Any:
    """保存本人的提醒设置；有改动时记录操作。"""
    return notification_preference_save(user=request.auth, by_email=payload.by_email, by_webhook=payload.by_webhook,
                                        frequency=payload.frequency)
