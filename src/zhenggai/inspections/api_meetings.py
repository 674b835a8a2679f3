"""API routes of 研究部署 (meetings and decision records of an inspection): list, detail and recording one,
through the same scope and service (`meeting_save`) as the inspection page."""

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhenggai.accounts.policies import CHANGE, get_for_user, scope_for, user_can
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.pagination import Pages
from zhenggai.api.schemas import ApiRequest, Id, Text, id_path
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.rectification.models import Task

from .models import Inspection, Meeting
from .services import meeting_save

router = Router(tags=["研究部署"])


class MeetingOut(Schema):
    """研究部署：一次会议或决策记录。"""

    id: int = Field(..., description="记录编号")
    inspection_id: int = Field(..., description="督察编号")
    date: dt.date = Field(..., description="日期")
    title: str = Field(..., description="会议名称")
    body: str = Field(..., description="会议主体，如：区委常委会、区政府常务会")
    decisions: str = Field(..., description="研究部署事项")
    tasks: list[int] = Field(..., description="涉及任务编号（当前用户可见的）")


class MeetingIn(Schema):
    """记录研究部署（督察整改办）。"""

    date: dt.date = Field(..., description="日期")
    title: Text = Field(..., min_length=1, max_length=200, description="会议名称")
    body: Text = Field(..., min_length=1, max_length=200, description="会议主体，如：区委常委会、区政府常务会")
    decisions: Text = Field("", max_length=20000, description="研究部署事项")
    tasks: list[Id] = Field(default_factory=list, max_length=500, description="涉及任务编号（属于该督察）")


class MeetingQuery(Schema):
    inspection: Id | None = Field(None, description="只列该督察的记录")


def _out(meeting: Meeting, user: Any) -> dict[str, Any]:
    visible = scope_for(user, Task.objects.all())
    return {
        "id": meeting.pk, "inspection_id": meeting.inspection_id, "date": meeting.date, "title": meeting.title,
        "body": meeting.body, "decisions": meeting.decisions,
        "tasks": list(meeting.tasks.filter(pk__in=visible.values("pk")).order_by("plan_id", "number")
                      .values_list("pk", flat=True)),
    }


class _Rows:
    def __init__(self, queryset: Any, user: Any) -> None:
        self.queryset, self.user = queryset, user

    def all(self) -> Any:
        return self.queryset

    def __getitem__(self, item: slice) -> list[dict[str, Any]]:
        return [_out(m, self.user) for m in self.queryset[item]]


@router.get("/meetings", response={200: list[MeetingOut], **READ_ERRORS}, summary="研究部署清单")
@paginate(Pages)
def meeting_list(request: ApiRequest, filters: Query[MeetingQuery]) -> Any:
    """当前用户可见的研究部署记录，最新的在前（同督察详情页）。"""
    meetings = scope_for(request.auth, Meeting.objects.all())
    if filters.inspection:
        meetings = meetings.filter(inspection_id=filters.inspection)
    return _Rows(meetings.order_by("-date", "-id"), request.auth)


@router.get("/meetings/{meeting_id}", response={200: MeetingOut, **READ_ERRORS}, summary="研究部署详情")
def meeting_detail(request: ApiRequest, meeting_id: int = id_path("记录编号")) -> Any:
    return _out(get_for_user(request.auth, Meeting.objects.all(), pk=meeting_id), request.auth)


@router.post("/inspections/{inspection_id}/meetings", response={201: MeetingOut, **ERROR_RESPONSES},
             summary="记录研究部署")
def meeting_create(request: ApiRequest, payload: MeetingIn, inspection_id: int = id_path("督察编号")) -> Any:
    """督察整改办为本区域的督察记录会议或决策，可关联该督察的任务（同督察详情页“记录研究部署”）。"""
    user = request.auth
    inspection = get_for_user(user, Inspection.objects.all(), pk=inspection_id)
    if not user_can(user, CHANGE, inspection):
        raise PermissionDenied()
    choices = scope_for(user, Task.objects.filter(plan__inspection=inspection))
    tasks = list(choices.filter(pk__in=payload.tasks))
    if len(tasks) != len(set(payload.tasks)):
        raise ValidationFailed(_("涉及任务须为该督察的任务。"), field="tasks")
    for name in ("title", "body"):
        if not getattr(payload, name).strip():
            raise ValidationFailed(_("不能为空。"), field=name)
    meeting = Meeting(inspection=inspection, date=payload.date, title=payload.title.strip(),
                      body=payload.body.strip(), decisions=payload.decisions)
    meeting = meeting_save(actor=user, meeting=meeting, tasks=tasks)
    return Status(201, _out(meeting, user))
