"""Demo assessment: the starting rule set, this year's and this quarter's assessments computed from the
demo's events (the closed loop in `demo.loop` dates them around the day of loading), and two
accountability cases recorded by the demo's discipline account — one answering a proposal of the
escalation ladder, one recorded by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from zhenggai.accounts.models import Role, User


def load_assessment_demo(*, actor: Any, plan: Any, say: Callable[[str], None]) -> None:
    from zhenggai.assessment.models import Assessment, Measure
    from zhenggai.assessment.selectors import open_proposals
    from zhenggai.assessment.services import (
        CaseData,
        accountability_case_save,
        assessment_compute,
        assessment_create,
        period_bounds,
        rule_set_create,
    )
    from zhenggai.rectification.models import ProgressReport, Task

    say("考核细则、年度与季度考核、问责记录……")
    region = plan.inspection.target_region
    today = timezone.localdate()
    rule_set = rule_set_create(
        actor=actor, region=region, name="梁平区督察整改工作考核细则",
        description="以操作记录为依据，对整改实施主体和信访件牵头办理单位按季度、年度计分排名（示例）。",
    )
    quarter = (today.month - 1) // 3 + 1
    periods = [
        (Assessment.PeriodKind.YEAR, f"{today.year}年度督察整改工作考核", None),
        (Assessment.PeriodKind.QUARTER, f"{today.year}年第{quarter}季度督察整改工作考核", quarter),
    ]
    for kind, title, q in periods:
        start, end = period_bounds(kind, today.year, q)
        assessment = assessment_create(actor=actor, region=region, title=title, period_kind=kind, start=start,
                                       end=end, rule_set=rule_set)
        assessment_compute(assessment=assessment, actor=actor)

    recorder = (User.objects.filter(roles__role=Role.DISCIPLINE, organization__region=region, is_active=True)
                .order_by("pk").first()) or actor
    proposals = open_proposals(actor)
    if proposals:
        proposal = proposals[-1]
        task = proposal.task
        unit = proposal.notice.unit.name if proposal.notice else (task.lead_unit.name if task.lead_unit else "")
        accountability_case_save(actor=recorder, region=region, data=CaseData(
            title=f"第{task.number}项整改任务逾期未完成，约谈{unit}主要负责人",
            date=today, measures=[Measure.TALK, Measure.WRITTEN_REVIEW],
            people=[("某某（示例）", f"{unit}主要负责人")],
            description=f"根据督办升级提出的建议，对{unit}主要负责人进行约谈，责令书面说明逾期原因并限期完成整改（示例）。",
            tasks=[task], proposal_event=proposal.event,
        ))
    late = list(Task.objects.filter(
        reports__is_late=True, reports__status=ProgressReport.Status.APPROVED, plan=plan).distinct()
        .order_by("number")[:2])
    tasks = late or list(Task.objects.filter(plan=plan, warning__in=["red", "yellow"]).order_by("number")[:2])
    if tasks:
        accountability_case_save(actor=recorder, region=region, data=CaseData(
            title="整改进展多次逾期报送，予以通报批评", date=today, measures=[Measure.CIRCULATED],
            people=[("某某（示例）", "责任单位分管负责人")], tasks=tasks,
            description="调度中多次未按时报送整改进展，经核实情况属实，在全区督察整改工作通报中予以批评（示例）。",
        ))
