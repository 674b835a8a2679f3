"""Internal strings planted in the demo so that tests can prove the portal never shows them.

Each marker goes into one place the public must never see — a draft progress report, a returned
report and its reason, a supervision notice, a task's internal remarks, an acceptance review's
comments, a non-public evidence file, an objection's contact, a complainant's name and a staff member's
name — through the real services where there is one. The markers are distinctive, so a test can look
for each of them on every public page, download and feed (tests/portal/test_privacy.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

DRAFT_REPORT = "内控标记01：进展草稿未经审核"
RETURNED_REPORT = "内控标记02：被退回的进展描述"
RETURN_REASON = "内控标记03：退回理由数据不实"
SUPERVISION_REASON = "内控标记04：督办事由内部研判"
SUPERVISION_ACTION = "内控标记05：督办要求内部掌握"
TASK_REMARKS = "内控标记06：任务内部备注"
REVIEW_COMMENT = "内控标记07：验收内部意见"
REVIEW_PEOPLE = "内控标记08核查人员"
EVIDENCE_DESCRIPTION = "内控标记09：非公开佐证说明"
EVIDENCE_FILE_NAME = "内控标记10非公开文件名"
OBJECTION_NAME = "内控标记11异议人"
OBJECTION_CONTACT = "13987650417"
COMPLAINANT_NAME = "内控标记12信访人"
STAFF_LAST_NAME, STAFF_FIRST_NAME = "内控标记13", "经办员"
STAFF_FULL_NAME = STAFF_LAST_NAME + STAFF_FIRST_NAME
STAFF_USERNAME = "neikong_jingban"

INTERNAL_MARKERS: tuple[str, ...] = (
    DRAFT_REPORT, RETURNED_REPORT, RETURN_REASON, SUPERVISION_REASON, SUPERVISION_ACTION, TASK_REMARKS,
    REVIEW_COMMENT, REVIEW_PEOPLE, EVIDENCE_DESCRIPTION, EVIDENCE_FILE_NAME, OBJECTION_NAME, OBJECTION_CONTACT,
    COMPLAINANT_NAME, STAFF_FULL_NAME, STAFF_USERNAME,
)

HOUSING = "区住房城乡建委"


def plant_internal_markers(*, actor: Any, plan: Any, say: Callable[[str], None]) -> None:
    """Plant every marker of INTERNAL_MARKERS into the loaded demo (`plan`: the Liangping plan).

    Adds a staff account (unit staff of the housing department, no usable password), a draft and a
    returned progress report outside the dispatch rounds, a non-public photo and a pending objection;
    edits a draft supervision notice, a task's remarks, a passed acceptance review and the complainant of
    a published case whose name was not recorded. Round figures, task states and published rows stay as
    they were."""
    from zhenggai.accounts.models import Organization, Role, User, UserRole
    from zhenggai.rectification.models import Task
    from zhenggai.rectification.workflow import TaskStatus

    say("内部信息标记（用于检验公众门户不泄露内部信息）……")
    housing = Organization.objects.get(name=HOUSING, region=plan.inspection.target_region)
    marker_staff = User(username=STAFF_USERNAME, last_name=STAFF_LAST_NAME, first_name=STAFF_FIRST_NAME,
                        title="经办人（示例）", organization=housing)
    marker_staff.set_unusable_password()
    marker_staff.save()
    UserRole.objects.create(user=marker_staff, role=Role.UNIT_STAFF)
    office = User.objects.filter(roles__role=Role.OFFICE, organization__region=plan.inspection.target_region).first()
    staff = User.objects.filter(username="staff").first()
    head = User.objects.filter(username="head").first()

    housing_tasks = Task.objects.filter(plan=plan, implementing_units=housing).order_by("number")
    in_progress = list(housing_tasks.filter(status=TaskStatus.IN_PROGRESS))
    closed = list(housing_tasks.filter(status=TaskStatus.CLOSED)) or list(
        Task.objects.filter(plan=plan, status=TaskStatus.CLOSED).order_by("number"))
    if in_progress:
        _reports(marker_staff=marker_staff, staff=staff, head=head, tasks=in_progress)
    _supervision(office=office or actor)
    if closed:
        _remarks(actor=office or actor, task=closed[0])
        _review(actor=actor, task=closed[0])
        _evidence(actor=staff or actor, task=closed[0])
    _objection()
    _complainant(actor=actor, inspection=plan.inspection)


def _reports(*, marker_staff: Any, staff: Any, head: Any, tasks: list[Any]) -> None:
    from zhenggai.rectification import rounds

    rounds.report_save_draft(actor=marker_staff, round=None, task=tasks[0], data={
        "stage": "advancing", "percent": 55, "description": DRAFT_REPORT, "next_steps": DRAFT_REPORT})
    if staff is None or head is None or len(tasks) < 2:
        return
    report = rounds.report_save_draft(actor=staff, round=None, task=tasks[1], data={
        "stage": "mostly_done", "percent": 90, "description": RETURNED_REPORT, "next_steps": RETURNED_REPORT})
    report = rounds.report_submit(actor=staff, report=report)
    rounds.report_return(actor=head, report=report, reason=RETURN_REASON)


def _supervision(*, office: Any) -> None:
    from zhenggai.rectification import supervision
    from zhenggai.rectification.models import SupervisionNotice

    notice = SupervisionNotice.objects.filter(status=SupervisionNotice.Status.DRAFT).order_by("id").first()
    if notice is None:
        return
    supervision.notice_update(actor=office, notice=notice, reason=SUPERVISION_REASON,
                              required_action=SUPERVISION_ACTION, reply_deadline=notice.reply_deadline,
                              kind=notice.kind)


def _remarks(*, actor: Any, task: Any) -> None:
    from zhenggai.rectification.services import task_data_from, task_update

    data = task_data_from(task)
    task_update(actor=actor, task=task, data=replace(data, remarks=TASK_REMARKS))


def _review(*, actor: Any, task: Any) -> None:
    """No service edits a recorded review; the demo appends its internal comment directly, with an event."""
    from zhenggai.core.audit_state import state_touched
    from zhenggai.core.events import event_record
    from zhenggai.rectification.models import AcceptanceReview

    review = AcceptanceReview.objects.filter(application__task=task, decision=AcceptanceReview.Decision.PASS).first()
    if review is None:
        return
    AcceptanceReview.objects.filter(pk=review.pk).update(
        reasons=f"{review.reasons}\n{REVIEW_COMMENT}".strip(), check_people=REVIEW_PEOPLE,
        check_findings=f"{review.check_findings}\n{REVIEW_COMMENT}".strip())
    state_touched(review)
    event_record(actor=actor, verb="acceptance.review_noted", obj=task,
                 data={"review": review.pk, "note": "演示数据：验收内部意见"})


def _evidence(*, actor: Any, task: Any) -> None:
    from zhenggai.evidence.services import evidence_create

    from .loop import _photo

    evidence_create(actor=actor, task=task, file=_photo(f"{EVIDENCE_FILE_NAME}.jpg", (90, 90, 140)),
                    category="before_photo", description=EVIDENCE_DESCRIPTION, is_public=False)


def _objection() -> None:
    from zhenggai.rectification.models import PublicNotice
    from zhenggai.rectification.transitions import objection_lodge
    from zhenggai.rectification.warnings import today

    notice = (PublicNotice.objects.filter(status=PublicNotice.Status.OPEN, end_date__gte=today(),
                                          objections__isnull=False).order_by("id").first()
              or PublicNotice.objects.filter(status=PublicNotice.Status.OPEN, end_date__gte=today())
              .order_by("id").first())
    if notice is None:
        return
    objection_lodge(notice=notice, content="请公开整改后的长效管护安排。（示例）", contact_name=OBJECTION_NAME,
                    contact=OBJECTION_CONTACT)


def _complainant(*, actor: Any, inspection: Any) -> None:
    """The complainant of a published case who gave no name gets one (the demo's only direct write here:
    complainants are recorded with their case, and no service edits them afterwards)."""
    from zhenggai.complaints.models import Complainant
    from zhenggai.core.events import event_record

    person = (Complainant.objects.filter(complaint__inspection=inspection, name="",
                                         complaint__published_at__isnull=False)
              .select_related("complaint").order_by("complaint_id").first())
    if person is None:
        return
    Complainant.objects.filter(pk=person.pk).update(name=COMPLAINANT_NAME)
    event_record(actor=actor, verb="complaint.complainant_updated", obj=person.complaint,
                 data={"fields": ["name"], "note": "演示数据", "on": dt.date.today()})
