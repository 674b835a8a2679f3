"""The closed loop in the demo: tasks reach their states through the real services, so that every record
behind a state exists — evidence, applications, reviews, public notices with objections, closures,
dispatch rounds with late reporters, supervision notices with a reply, a look-back that found a rebound.

Dates are relative to the day of loading, so the demo always shows a notice in progress and a round
with late reporters."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from zhenggai.core.events import event_record
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import AcceptanceApplication, LookBack, Task
from zhenggai.rectification.workflow import TaskStatus

from .integrity_demo import demo_photo, notice_rule, report_text

ALL_CRITERIA = {key: True for key, _label in AcceptanceApplication.CRITERIA}


def _photo(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 240), colour)
    draw = ImageDraw.Draw(image)
    for y in range(0, 240, 24):
        draw.line([(0, y), (320, y + 40)], fill=(255, 255, 255), width=2)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _evidence(actor: Any, task: Task) -> list[Any]:
    from zhenggai.evidence.services import evidence_create

    # each task's own photos, with capture times (integrity_demo plants one copied photo)
    before = evidence_create(actor=actor, task=task, file=demo_photo(task, "before_photo"),
                             category="before_photo", description="整改前现场（示例）", is_public=True)
    after = evidence_create(actor=actor, task=task, file=demo_photo(task, "after_photo"),
                            category="after_photo", description="整改后现场（示例）", is_public=True)
    return [before, after]


def drive_loop(*, actor: Any, later: dict[int, str], liangping_plan: Any, rebounds: list[Task]) -> None:
    today = timezone.localdate()
    tasks = Task.objects.filter(pk__in=later).order_by("plan_id", "number")
    in_notice_seen = 0
    for task in tasks:
        target = later[task.pk]
        evidence = _evidence(actor, task)
        tr.task_apply_for_acceptance(
            actor=actor, task=task, self_check=ALL_CRITERIA, evidence=evidence,
            statement=f"已按整改方案完成第{task.number}项任务的各项措施，佐证材料齐全（示例）。",
        )
        if target == TaskStatus.ACCEPTANCE_REQUESTED:
            continue
        task.refresh_from_db()
        start = today - dt.timedelta(days=40 if target == TaskStatus.CLOSED else 3)
        with notice_rule(task):  # integrity_demo plants one notice shorter than the rule
            notice = tr.task_pass_acceptance(
                actor=actor, task=task, notice_start=start, reasons="经现场核查，整改措施落实到位（示例）。",
                check_date=start - dt.timedelta(days=2), check_people="验收组（示例）",
                check_findings="现场查看整改点位，查阅台账资料，问题已解决（示例）。",
                contact_phone="023-53200000", contact_email="dczgb@example.gov.cn",
            )
        task.refresh_from_db()
        if target == TaskStatus.CLOSED:
            tr.task_close(actor=actor, task=task, on=today,
                          long_term=task.deadline_kind != "by_date")
        else:
            in_notice_seen += 1
            if in_notice_seen == 1:
                answered = tr.objection_lodge(notice=notice, content="整改后下雨天仍有污水外溢，请核实。（示例）",
                                              contact_name="群众（示例）", contact="138****0000")
                tr.objection_answer(actor=actor, objection=answered, upheld=False,
                                    answer="经现场核实，系临时施工导流所致，已恢复，不影响整改成效。（示例）")
                tr.objection_lodge(notice=notice, content="希望公开整改前后的监测数据。（示例）")
    for new in rebounds:
        old = new.rebound_of
        if old is None:
            continue
        look_back = LookBack.objects.create(
            task=old, scheduled_date=today - dt.timedelta(days=60), status=LookBack.Status.DONE,
            result=LookBack.Result.REBOUND, notes="回头看发现问题反弹，已新建整改任务（示例）。", checked_by=actor,
            done_at=timezone.now(), rebound_task=new, created_by=actor,
        )
        event_record(actor=actor, verb="lookback.recorded", obj=old,
                     data={"lookback": look_back.pk, "result": "rebound", "rebound_task": new.pk})
    _rounds(actor=actor, plan=liangping_plan, today=today)
    _supervision(actor=actor, today=today)


def _first_working_day(year: int, month: int) -> dt.date:
    from zhenggai.core.workdays import add_working_days

    return add_working_days(dt.date(year, month, 1), 1)


def _rounds(*, actor: Any, plan: Any, today: dt.date) -> None:
    """Last month's round, closed, reported by everyone; this month's round, past its due date, with
    approved, submitted and draft reports and a few units that have not reported (late reporters).
    Units with demo accounts report through the services as their staff and head; the reports of the
    other units are recorded directly (they have no accounts in the demo)."""
    from zhenggai.accounts.models import Role, User
    from zhenggai.core.workdays import add_working_days
    from zhenggai.rectification import rounds
    from zhenggai.rectification.models import DispatchRound, ProgressReport

    region = plan.inspection.target_region
    this_month = today.replace(day=1)
    if add_working_days(_first_working_day(this_month.year, this_month.month), 5) >= today:
        # early in a month this month's round is not due yet: show last month's as the current one
        this_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    people: dict[int, dict[str, Any]] = {}
    for user in User.objects.filter(roles__role__in=[Role.UNIT_STAFF, Role.UNIT_HEAD]).select_related("organization"):
        role = "head" if Role.UNIT_HEAD in user.role_codes else "staff"
        if user.organization_id is not None:
            people.setdefault(user.organization_id, {}).setdefault(role, user)
    counter = 0
    seen: dict[int, int] = {}
    for month, closed in ((last_month, True), (this_month, False)):
        start = _first_working_day(month.year, month.month)
        due = add_working_days(start, 5)
        round_ = rounds.round_open(actor=actor, region=region, kind=DispatchRound.Kind.MONTHLY, plan=plan,
                                   period_start=month, due_date=due, title=f"{month.year}年{month.month}月调度")
        pairs = [(t, u) for t in round_.tasks.prefetch_related("implementing_units").order_by("number")
                 for u in t.implementing_units.all()]
        for task, unit in pairs:
            if task.status == TaskStatus.NOT_STARTED:
                continue  # a task nobody has started has no reports yet (it shows as a late reporter)
            counter += 1
            percent = 100 if task.status != TaskStatus.IN_PROGRESS else 40 + (task.number * 7) % 50
            # each unit's own words (integrity_demo plants one copied text and one blanket shutdown)
            description, next_steps = report_text(task, unit, month, percent)
            data = {"stage": "done" if percent == 100 else "advancing", "percent": percent,
                    "description": description, "next_steps": next_steps}
            staff, head = people.get(unit.pk, {}).get("staff"), people.get(unit.pk, {}).get("head")
            if staff and head:
                # this month, a unit with demo accounts shows each step: its 1st task approved, 2nd waiting
                # for the head, 3rd a staff draft, 4th not reported yet, then again
                step = seen.setdefault(unit.pk, 0) % 4 if not closed else 0
                seen[unit.pk] = seen.get(unit.pk, 0) + (0 if closed else 1)
                if step == 3:
                    continue
                report = rounds.report_save_draft(actor=staff, round=round_, task=task, data=data, unit=unit)
                if step == 2:
                    continue
                report = rounds.report_submit(actor=staff, report=report)
                if step == 1:
                    continue
                rounds.report_approve(actor=head, report=report)
            elif not closed and counter % 5 == 0:
                continue  # a late reporter
            else:
                report = ProgressReport.objects.create(
                    round=round_, task=task, unit=unit, status=ProgressReport.Status.APPROVED, drafted_by=actor,
                    approved_by=actor, submitted_at=timezone.now(), approved_at=timezone.now(), **data)
                event_record(actor=actor, verb="report.approved", obj=task,
                             data={"report": report.pk, "unit": unit.name, "note": "演示数据"})
        # the reports recorded at loading count as on time, except this month's last few
        on_time = ProgressReport.objects.filter(round=round_, status=ProgressReport.Status.APPROVED)
        late_ids = list(on_time.order_by("-id").values_list("id", flat=True)[:3]) if not closed else []
        on_time.exclude(id__in=late_ids).update(is_late=False)
        ProgressReport.objects.filter(id__in=late_ids).update(is_late=True)
        if closed:
            rounds.round_close(actor=actor, round=round_)


def _supervision(*, actor: Any, today: dt.date) -> None:
    """Run the escalation ladder; issue one letter and let the unit reply to it."""
    from zhenggai.rectification import supervision
    from zhenggai.rectification.models import SupervisionNotice
    from zhenggai.rectification.warnings import warnings_refresh_all

    warnings_refresh_all(on=today)
    supervision.escalation_run(on=today, actor=actor)
    drafts = list(SupervisionNotice.objects.filter(status=SupervisionNotice.Status.DRAFT,
                                                   kind=SupervisionNotice.Kind.LETTER).order_by("id")[:2])
    for index, notice in enumerate(drafts):
        issued = supervision.notice_issue(actor=actor, notice=notice)
        if index == 0:
            supervision.notice_reply(actor=actor, notice=issued,
                                     reply="已召开专题会研究部署，明确专人负责，将于本月底前完成剩余管网改造。（示例）")
