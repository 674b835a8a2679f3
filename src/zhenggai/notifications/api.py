"""API routes of 推送地址 (webhooks: group robots and signed event hooks) and 日历订阅 (the user's private
calendar feed), through the same services and selectors as the staff pages (`hook_services`, `calendar`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, Text, UnitRef, id_path, unit_ref
from zhenggai.core.errors import PermissionDenied, ValidationFailed

from .calendar import calendar_feed_for, calendar_feed_reset, calendar_kinds_for
from .hook_services import (
    webhook_deliveries_for_target,
    webhook_may_manage,
    webhook_organizations_for_admin,
    webhook_target_get_for_admin,
    webhook_target_rotate_secret,
    webhook_target_save,
    webhook_target_send_test,
    webhook_targets_for_admin,
)
from .models import CalendarFeed, WebhookDelivery, WebhookTarget

router = Router(tags=["推送与日历"])

FormatValue = Literal["wecom", "dingtalk", "generic"]
assert set(FormatValue.__args__) == set(WebhookTarget.Format.values)  # type: ignore[attr-defined]
EventType = Text


class WebhookOut(Schema):
    """推送地址：工作群机器人（企业微信、钉钉）或通用事件推送（签名的 JSON）。"""

    id: int = Field(..., description="推送地址编号")
    organization: UnitRef = Field(..., description="所属单位；通用事件推送只推送该单位所在区域（含下级）的事件")
    name: str = Field(..., description="名称")
    url: str = Field(..., description="接收地址")
    format: str = Field(..., description="格式：wecom 企业微信群机器人、dingtalk 钉钉群机器人、generic 通用事件推送")
    event_types: list[str] = Field(..., description="订阅的事件（仅 generic）：如 task.close、task.*、*")
    is_active: bool = Field(..., description="是否启用")
    has_secret: bool = Field(..., description="是否设置了签名密钥（密钥本身只在创建和重新生成时返回）")


class WebhookSecretOut(WebhookOut):
    """推送地址及其签名密钥（只在创建和重新生成密钥时返回）。"""

    secret: str = Field(..., description="通用事件推送的签名密钥：接收方用它核验 X-Zhenggai-Signature；机器人为空")


class WebhookIn(Schema):
    """新增推送地址（系统管理员，本区域的单位），同“新增推送地址”页面。"""

    organization: Id = Field(..., description="所属单位编号")
    name: Text = Field(..., min_length=1, max_length=100, description="名称")
    url: Text = Field(..., min_length=1, max_length=500, description="接收地址，http:// 或 https:// 开头")
    format: FormatValue = Field(..., description="格式：wecom、dingtalk、generic")
    event_types: list[EventType] = Field(default_factory=list, max_length=50,
                                         description="订阅的事件（generic 必填）：task.close、task.*、* 等")
    is_active: bool = Field(True, description="是否启用")
    robot_secret: Text | None = Field(None, max_length=200, description="钉钉机器人的加签密钥（SEC 开头）；只写不读")


class WebhookPatch(Schema):
    """修改推送地址：只改所给的字段。"""

    organization: Id | None = Field(None, description="所属单位编号")
    name: Text | None = Field(None, min_length=1, max_length=100, description="名称")
    url: Text | None = Field(None, min_length=1, max_length=500, description="接收地址")
    format: FormatValue | None = Field(None, description="格式")
    event_types: list[EventType] | None = Field(None, max_length=50, description="订阅的事件")
    is_active: bool | None = Field(None, description="是否启用")
    robot_secret: Text | None = Field(None, max_length=200, description="钉钉机器人的加签密钥；只写不读")


class DeliveryOut(Schema):
    """一次推送及其结果。"""

    id: int = Field(..., description="推送编号（即请求头 X-Zhenggai-Delivery）")
    verb: str | None = Field(None, description="事件类型（通用事件推送）；机器人消息为 null")
    status: str = Field(..., description="状态：pending 待发送、sending 发送中、sent 已发送、failed 失败")
    attempts: int = Field(..., description="已尝试次数（最多 3 次）")
    response_code: int | None = Field(None, description="最近一次的 HTTP 响应码")
    error: str = Field(..., description="最近一次的错误")
    created_at: dt.datetime = Field(..., description="创建时间")
    sent_at: dt.datetime | None = Field(None, description="送达时间")
    next_attempt_at: dt.datetime | None = Field(None, description="下次尝试时间")


class CalendarOut(Schema):
    """本人的私人日历订阅地址（iCalendar）。"""

    url: str = Field(..., description="订阅地址；地址本身就是凭据，无需登录即可读取，请勿转发")
    created_at: dt.datetime = Field(..., description="地址生成时间")
    kinds: list[str] = Field(..., description="按角色包含的日期种类：task-deadline、milestone、notice-end、"
                                              "round-due、supervision-reply、complaint-reply")


def _out(target: WebhookTarget, *, with_secret: bool = False) -> dict[str, Any]:
    data = {
        "id": target.pk, "organization": unit_ref(target.organization), "name": target.name, "url": target.url,
        "format": target.format, "event_types": list(target.event_types or []), "is_active": target.is_active,
        "has_secret": bool(target.secret),
    }
    if with_secret:
        data["secret"] = target.secret if target.format == WebhookTarget.Format.GENERIC else ""
    return data


def _delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    verb = delivery.payload.get("verb") if isinstance(delivery.payload, dict) else None
    return {
        "id": delivery.pk, "verb": verb if isinstance(verb, str) else None, "status": delivery.status,
        "attempts": delivery.attempts, "response_code": delivery.response_code, "error": delivery.error,
        "created_at": delivery.created_at, "sent_at": delivery.sent_at, "next_attempt_at": delivery.next_attempt_at,
    }


class _Rows:
    def __init__(self, queryset: Any, render: Any) -> None:
        self.queryset, self.render = queryset, render

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [self.render(row) for row in self.queryset[item]]


def _require_admin(request: ApiRequest) -> None:
    if not webhook_may_manage(request.auth):
        raise PermissionDenied(_("只有系统管理员可以管理推送地址。"))


def _target(request: ApiRequest, hook_id: int) -> WebhookTarget:
    _require_admin(request)
    return webhook_target_get_for_admin(user=request.auth, pk=hook_id)


def _organization(request: ApiRequest, pk: int) -> Any:
    organization = webhook_organizations_for_admin(user=request.auth).filter(pk=pk).select_related("region").first()
    if organization is None:
        raise ValidationFailed(_("单位不存在或不在您管理的区域。"), field="organization")
    return organization


@router.get("/webhooks", response={200: list[WebhookOut], **READ_ERRORS}, summary="推送地址清单")
@paginate(Pages)
def webhook_list(request: ApiRequest) -> Any:
    """系统管理员所管区域各单位的推送地址，按单位和名称排列。"""
    _require_admin(request)
    return _Rows(webhook_targets_for_admin(user=request.auth), _out)


@router.post("/webhooks", response={201: WebhookSecretOut, **ERROR_RESPONSES}, summary="新增推送地址")
def webhook_create(request: ApiRequest, payload: WebhookIn) -> Any:
    """通用事件推送创建时由系统生成签名密钥，只在本次答复中返回。"""
    _require_admin(request)
    target = webhook_target_save(
        actor=request.auth, target=None, organization=_organization(request, payload.organization),
        name=payload.name, url=payload.url, format=payload.format, event_types=list(payload.event_types),
        is_active=payload.is_active, robot_secret=payload.robot_secret,
    )
    return Status(201, _out(target, with_secret=True))


@router.get("/webhooks/{hook_id}", response={200: WebhookOut, **READ_ERRORS}, summary="推送地址详情")
def webhook_detail(request: ApiRequest, hook_id: int = id_path("推送地址编号")) -> Any:
    return _out(_target(request, hook_id))


@router.patch("/webhooks/{hook_id}", response={200: WebhookOut, **ERROR_RESPONSES}, summary="修改推送地址")
def webhook_update(request: ApiRequest, payload: WebhookPatch, hook_id: int = id_path("推送地址编号")) -> Any:
    """只改所给的字段；机器人改为通用事件推送时生成新的签名密钥（用“重新生成密钥”取得）。"""
    target = _target(request, hook_id)
    given = payload.model_fields_set
    organization = (_organization(request, payload.organization)
                    if "organization" in given and payload.organization else target.organization)
    saved = webhook_target_save(
        actor=request.auth, target=target, organization=organization,
        name=payload.name if payload.name is not None else target.name,
        url=payload.url if payload.url is not None else target.url,
        format=payload.format if payload.format is not None else target.format,
        event_types=list(payload.event_types if payload.event_types is not None else target.event_types or []),
        is_active=payload.is_active if payload.is_active is not None else target.is_active,
        robot_secret=payload.robot_secret,
    )
    return _out(saved)


@router.post("/webhooks/{hook_id}/rotate-secret", response={200: WebhookSecretOut, **ERROR_RESPONSES},
             summary="重新生成签名密钥")
def webhook_rotate(request: ApiRequest, hook_id: int = id_path("推送地址编号")) -> Any:
    """仅通用事件推送；旧密钥立即失效。"""
    target = _target(request, hook_id)
    webhook_target_rotate_secret(actor=request.auth, target=target)
    return _out(WebhookTarget.objects.select_related("organization").get(pk=target.pk), with_secret=True)


@router.post("/webhooks/{hook_id}/test", response={201: DeliveryOut, **ERROR_RESPONSES}, summary="发送测试")
def webhook_test(request: ApiRequest, hook_id: int = id_path("推送地址编号")) -> Any:
    """排队发送一条测试消息（通用事件推送为 webhook.test 事件）；结果见推送记录。"""
    target = _target(request, hook_id)
    return Status(201, _delivery_out(webhook_target_send_test(actor=request.auth, target=target, deliver_now=False)))


@router.get("/webhooks/{hook_id}/deliveries", response={200: list[DeliveryOut], **READ_ERRORS},
            summary="推送记录")
@paginate(Pages)
def webhook_deliveries(request: ApiRequest, hook_id: int = id_path("推送地址编号")) -> Any:
    """该推送地址的每次推送：状态、尝试次数、响应码、错误和时间，最新的在前。"""
    return _Rows(webhook_deliveries_for_target(target=_target(request, hook_id)), _delivery_out)


def _calendar_out(request: ApiRequest, feed: CalendarFeed) -> dict[str, Any]:
    site = str(getattr(settings, "ZHENGGAI_SITE_URL", "") or "").rstrip("/")
    path = reverse("calendar_feed", args=[feed.token])
    return {"url": (site + path) if site else request.build_absolute_uri(path), "created_at": feed.created_at,
            "kinds": sorted(calendar_kinds_for(request.auth))}


@router.get("/account/calendar", response={200: CalendarOut, **READ_ERRORS}, summary="我的日历订阅地址")
def calendar_get(request: ApiRequest) -> Any:
    """本人的私人 iCalendar 订阅地址（首次读取时生成）。"""
    return _calendar_out(request, calendar_feed_for(user=request.auth))


@router.post("/account/calendar/reset", response={200: CalendarOut, **ERROR_RESPONSES}, summary="重新生成日历订阅地址")
def calendar_reset(request: ApiRequest) -> Any:
    """生成新的订阅地址；旧地址立即失效（返回 404）。"""
    return _calendar_out(request, calendar_feed_reset(user=request.auth))

