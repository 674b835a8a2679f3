"""API routes of complaint look-backs (回头看, /api/v1/complaints/{id}/lookbacks…): the list of a case's
look-backs, scheduling one (a case 已办结) and recording its result, through the same services and
policies as the case page's "回头看" tab (the office of the region manages them)."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Router, Schema, Status

from zhenggai.accounts.policies import get_for_user, scope_for
from zhenggai.api.errors import ERROR_RESPONSES, READ_ERRORS
from zhenggai.api.schemas import ApiRequest, Text, id_path
from zhenggai.core.errors import PermissionDenied

from .. import policies, services
from ..models import Complaint, ComplaintLookBack
from ..selectors import complaint_detail_for_user

router = Router(tags=["信访件"])


class ComplaintLookBackOut(Schema):
    """信访件的一次回头看。"""

    id: int = Field(..., description="回头看编号")
    complaint_id: int = Field(..., description="信访件编号")
    scheduled_date: dt.date = Field(..., description="计划日期")
    done: bool = Field(..., description="是否已记录结果")
    result: str = Field(..., description="结果：held 成效巩固、rebound 问题反弹；未记录时为空")
    notes: str = Field(..., description="核查情况")
    rebound_complaint_id: int | None = Field(None, description="问题反弹时新登记的信访件编号")


class ComplaintLookBackScheduleIn(Schema):
    """安排回头看（督察整改办；信访件须已办结）。"""

    scheduled_date: dt.date = Field(..., description="计划日期")


class ComplaintLookBackRecordIn(Schema):
    """记录回头看结果（督察整改办）。问题反弹时在同一批次登记一件新的信访件。"""

    result: Literal["held", "rebound"] = Field(..., description="held 成效巩固、rebound 问题反弹")
    notes: Text = Field(..., min_length=1, max_length=20000, description="核查情况")


def _out(row: ComplaintLookBack) -> dict[str, Any]:
    return {"id": row.pk, "complaint_id": row.complaint_id, "scheduled_date": row.scheduled_date, "done": row.done,
            "result": row.result, "notes": row.notes, "rebound_complaint_id": row.rebound_complaint_id}


def _managed(user: Any, complaint_id: int) -> Complaint:
    complaint = complaint_detail_for_user(user, complaint_id)  # hidden and missing: 404
    if not policies.may_manage(user, complaint):
        raise PermissionDenied()
    return complaint


@router.get("/complaints/{complaint_id}/lookbacks", response={200: list[ComplaintLookBackOut], **READ_ERRORS},
            summary="信访件的回头看")
def lookback_list(request: ApiRequest, complaint_id: int = id_path("信访件编号")) -> Any:
    """可见信访件的回头看，按计划日期排序（同详情页“回头看”）。"""
    complaint = complaint_detail_for_user(request.auth, complaint_id)
    rows = scope_for(request.auth, ComplaintLookBack.objects.filter(complaint=complaint))
    return [_out(r) for r in rows.order_by("scheduled_date", "id")]


@router.post("/complaints/{complaint_id}/lookbacks", response={201: ComplaintLookBackOut, **ERROR_RESPONSES},
             summary="安排回头看")
def lookback_schedule(request: ApiRequest, payload: ComplaintLookBackScheduleIn,
                      complaint_id: int = id_path("信访件编号")) -> Any:
    complaint = _managed(request.auth, complaint_id)
    row = services.complaint_lookback_schedule(actor=request.auth, complaint=complaint,
                                               scheduled_date=payload.scheduled_date)
    return Status(201, _out(row))


@router.post("/complaints/{complaint_id}/lookbacks/{lookback_id}/record",
             response={200: ComplaintLookBackOut, **ERROR_RESPONSES}, summary="记录回头看结果")
def lookback_record(request: ApiRequest, payload: ComplaintLookBackRecordIn,
                    complaint_id: int = id_path("信访件编号"), lookback_id: int = id_path("回头看编号")) -> Any:
    """已记录结果的回头看不能再记录（409）。"""
    complaint = _managed(request.auth, complaint_id)
    look_back = get_for_user(request.auth, ComplaintLookBack.objects.filter(complaint=complaint), pk=lookback_id)
    row = services.complaint_lookback_record(actor=request.auth, look_back=look_back, result=payload.result,
                                             notes=payload.notes)
    return _out(row)
