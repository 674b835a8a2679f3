"""Writes of assessment and accountability. Each service checks the actor's right, changes the rows and
records the event in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Region
from zhenggai.core.errors import NotFound, PermissionDenied, ValidationFailed
from zhenggai.core.events import diff, event_record
from zhenggai.core.models import Event

from . import engine
from .models import (
    AccountabilityCase,
    AccountabilityPerson,
    Assessment,
    Measure,
    Rule,
    RuleSet,
    ScoreItem,
    UnitScore,
)
from .policies import cases_for, may_manage, may_record_case
from .rules import STARTING_RULES, RuleKind, clean_params, explain

MAX_POINTS = Decimal("100")


@dataclass
class RuleData:
    kind: str
    label: str
    points: Decimal
    params: dict[str, Any] = field(default_factory=dict)
    is_active: bool = True
    sort_order: int = 0


def starting_rules() -> list[RuleData]:
    """The starting set of DOMAIN §6 (yellow ×2 −1, red −2, missed report −1, returned acceptance −1,
    rebound −3, complaint overdue −1, early closure +0.5)."""
    return [RuleData(kind=k, label=label, points=p, params=dict(params), sort_order=(i + 1) * 10)
            for i, (k, label, p, params) in enumerate(STARTING_RULES)]


def _num(value: Decimal | int | str) -> str:
    return f"{Decimal(value):.2f}"


def _rule_snapshot(rule: Rule | RuleData) -> dict[str, Any]:
    return {"kind": rule.kind, "label": rule.label, "points": _num(rule.points), "params": rule.params,
            "is_active": rule.is_active, "sort_order": rule.sort_order}


def _validate_rules(rules: list[RuleData]) -> list[RuleData]:
    seen: set[str] = set()
    cleaned = []
    for index, rule in enumerate(rules):
        if rule.kind not in RuleKind.values:
            raise ValidationFailed(_("规则类型无效。"), field="rules")
        if rule.kind in seen:
            raise ValidationFailed(_("同一类型的规则只能有一条：%(kind)s。") % {"kind": RuleKind(rule.kind).label},
                                   field="rules")
        seen.add(rule.kind)
        if not rule.label.strip():
            raise ValidationFailed(_("请填写规则名称。"), field="rules")
        points = Decimal(rule.points)
        if points == 0 or abs(points) > MAX_POINTS:
            raise ValidationFailed(_("分值须为非零数，绝对值不超过 100。"), field="rules")
        try:
            params = clean_params(rule.kind, rule.params)
        except (ValueError, TypeError) as exc:
            raise ValidationFailed(_("规则“%(label)s”的参数无效。") % {"label": rule.label}, field="rules") from exc
        cleaned.append(RuleData(kind=rule.kind, label=rule.label.strip(), points=points, params=params,
                                is_active=rule.is_active, sort_order=rule.sort_order or (index + 1) * 10))
    return cleaned


def _validate_set(name: str, base_points: Decimal) -> None:
    if not name.strip():
        raise ValidationFailed(_("请填写名称。"), field="name")
    if base_points < 0 or base_points > Decimal("1000"):
        raise ValidationFailed(_("基础分须在 0 到 1000 之间。"), field="base_points")


def rule_set_create(*, actor: Any, region: Region, name: str, description: str = "",
                    base_points: Decimal = Decimal("100"), rules: list[RuleData] | None = None) -> RuleSet:
    """The office creates a rule set of its region; without `rules` it starts from DOMAIN §6's set."""
    if not may_manage(actor, region):
        raise PermissionDenied(_("只有本区域的督察整改办可以制定考核细则。"))
    _validate_set(name, base_points)
    cleaned = _validate_rules(rules if rules is not None else starting_rules())
    with transaction.atomic():
        if RuleSet.objects.filter(region=region, name=name.strip()).exists():
            raise ValidationFailed(_("本区域已有同名的考核细则。"), field="name")
        rule_set = RuleSet.objects.create(region=region, name=name.strip(), description=description.strip(),
                                          base_points=base_points)
        Rule.objects.bulk_create([Rule(rule_set=rule_set, kind=r.kind, label=r.label, points=r.points,
                                       params=r.params, is_active=r.is_active, sort_order=r.sort_order)
                                  for r in cleaned])
        event_record(actor=actor, verb="ruleset.created", obj=rule_set, data={
            "region": region.pk, "name": rule_set.name, "base_points": base_points,
            "rules": [_rule_snapshot(r) for r in cleaned]})
    return rule_set


def rule_set_update(*, actor: Any, rule_set: RuleSet, name: str, description: str, base_points: Decimal,
                    rules: list[RuleData]) -> bool:
    """The office edits a rule set: its name, description, base points and the full list of its rules
    (rules of a kind left out are removed). Assessments keep their items until recomputed. Returns False
    (and writes nothing) when nothing changed."""
    if not may_manage(actor, rule_set.region):
        raise PermissionDenied(_("只有本区域的督察整改办可以修改考核细则。"))
    _validate_set(name, base_points)
    cleaned = _validate_rules(rules)
    with transaction.atomic():
        locked = RuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if RuleSet.objects.filter(region=locked.region, name=name.strip()).exclude(pk=locked.pk).exists():
            raise ValidationFailed(_("本区域已有同名的考核细则。"), field="name")
        existing = {r.kind: r for r in locked.rules.all()}
        before = {"name": locked.name, "description": locked.description, "base_points": _num(locked.base_points),
                  "rules": [_rule_snapshot(r) for r in sorted(existing.values(), key=lambda r: r.kind)]}
        after = {"name": name.strip(), "description": description.strip(), "base_points": _num(base_points),
                 "rules": [_rule_snapshot(r) for r in sorted(cleaned, key=lambda r: r.kind)]}
        changes = diff(before, after)
        if not changes:
            return False
        locked.name, locked.description, locked.base_points = name.strip(), description.strip(), base_points
        locked.save()
        kinds = {r.kind for r in cleaned}
        Rule.objects.filter(rule_set=locked).exclude(kind__in=kinds).delete()
        for data in cleaned:
            rule = existing.get(data.kind) or Rule(rule_set=locked, kind=data.kind)
            rule.label, rule.points, rule.params = data.label, data.points, data.params
            rule.is_active, rule.sort_order = data.is_active, data.sort_order
            rule.save()
        event_record(actor=actor, verb="ruleset.updated", obj=locked, data={"changes": changes})
    rule_set.refresh_from_db()
    return True


# ── assessments ──

def period_bounds(kind: str, year: int, quarter: int | None = None) -> tuple[dt.date, dt.date]:
    """(start, end) of a year or of a quarter (1–4) of it."""
    if kind == Assessment.PeriodKind.QUARTER:
        if quarter not in (1, 2, 3, 4):
            raise ValidationFailed(_("请选择季度。"), field="quarter")
        start = dt.date(year, 3 * quarter - 2, 1)
        end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
        return start, end
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def assessment_create(*, actor: Any, region: Region, title: str, period_kind: str, start: dt.date, end: dt.date,
                      rule_set: RuleSet) -> Assessment:
    """The office opens an assessment of its region for a period with one of its rule sets (the rule set
    of the region or of a region above it). Compute it with `assessment_compute`."""
    if not may_manage(actor, region):
        raise PermissionDenied(_("只有本区域的督察整改办可以组织考核。"))
    if not title.strip():
        raise ValidationFailed(_("请填写名称。"), field="title")
    if period_kind not in Assessment.PeriodKind.values:
        raise ValidationFailed(_("考核周期无效。"), field="period_kind")
    if end < start:
        raise ValidationFailed(_("截止日期不能早于起始日期。"), field="end")
    if not region.path.startswith(rule_set.region.path):
        raise ValidationFailed(_("考核细则不属于该区域。"), field="rule_set")
    with transaction.atomic():
        assessment = Assessment.objects.create(region=region, title=title.strip(), period_kind=period_kind,
                                               start=start, end=end, rule_set=rule_set, created_by=actor)
        event_record(actor=actor, verb="assessment.created", obj=assessment, data={
            "region": region.pk, "title": assessment.title, "period_kind": period_kind, "start": start, "end": end,
            "rule_set": rule_set.pk})
    return assessment


def assessment_compute(*, assessment: Assessment, actor: Any, on: dt.date | None = None) -> Assessment:
    """(Re)compute an assessment: replace its items and unit scores in one transaction from the event log
    (see `engine` for the rules), record the rules and base points used and a digest of the items, and
    write `assessment.computed`. `on` is the day of computing (today): deadlines passed before it count.
    Computing again with nothing changed gives identical items and the same digest."""
    if not may_manage(actor, assessment.region):
        raise PermissionDenied(_("只有本区域的督察整改办可以计算考核得分。"))
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = Assessment.objects.select_for_update().select_related("region", "rule_set").get(pk=assessment.pk)
        rule_set = RuleSet.objects.select_for_update().get(pk=locked.rule_set_id)
        rules = list(rule_set.rules.order_by("sort_order", "id"))
        items, units = engine.score(region=locked.region, start=locked.start, end=locked.end, as_of=on, rules=rules)
        base = rule_set.base_points
        ScoreItem.objects.filter(assessment=locked).delete()
        UnitScore.objects.filter(assessment=locked).delete()
        ScoreItem.objects.bulk_create([
            ScoreItem(assessment=locked, unit_id=i.unit_id, rule=i.rule, rule_kind=i.rule.kind,
                      rule_label=i.rule.label, points=i.points, event_id=i.event_id, task_id=i.task_id,
                      complaint_id=i.complaint_id, date=i.date, reason=i.reason)
            for i in items
        ], batch_size=500)
        totals: dict[int, list[Decimal]] = {u: [Decimal(0), Decimal(0), Decimal(0)] for u in units}
        for i in items:
            totals[i.unit_id][0 if i.points < 0 else 1] += i.points
            totals[i.unit_id][2] += 1
        UnitScore.objects.bulk_create([
            UnitScore(assessment=locked, unit_id=u, base=base, deductions=d, bonuses=b, score=base + d + b,
                      items=int(n))
            for u, (d, b, n) in sorted(totals.items())
        ], batch_size=500)
        locked.base_points = base
        locked.rules_used = [{**_rule_snapshot(r), "explanation": explain(r.kind, r.points, r.params)}
                             for r in rules if r.is_active]
        locked.as_of = on
        locked.digest = engine.digest(items, base)
        locked.computed_at = timezone.now()
        locked.computed_by = actor
        locked.save()
        event_record(actor=actor, verb="assessment.computed", obj=locked, data={
            "on": on, "rule_set": rule_set.pk, "base_points": base, "items": len(items), "units": len(units),
            "points": sum((i.points for i in items), Decimal(0)), "digest": locked.digest})
    assessment.refresh_from_db()
    return assessment


# ── accountability ──

@dataclass
class CaseData:
    title: str
    date: dt.date
    description: str = ""
    measures: list[str] = field(default_factory=list)
    people: list[tuple[str, str]] = field(default_factory=list)  # (name, post)
    lead_transferred_to: str = ""
    tasks: list[Any] = field(default_factory=list)
    complaints: list[Any] = field(default_factory=list)
    proposal_event: Event | None = None


def _case_snapshot(case: AccountabilityCase) -> dict[str, Any]:
    return {
        "title": case.title, "date": case.date.isoformat() if case.date else None, "description": case.description,
        "measures": list(case.measures), "lead_transferred_to": case.lead_transferred_to,
        "people": [[p.name, p.post] for p in case.people.all()] if case.pk else [],
        "tasks": sorted(case.tasks.values_list("pk", flat=True)) if case.pk else [],
        "complaints": sorted(case.complaints.values_list("pk", flat=True)) if case.pk else [],
        "proposal_event": case.proposal_event_id,
    }


def _validate_case(data: CaseData, region: Region) -> None:
    if not data.title.strip():
        raise ValidationFailed(_("请填写事由。"), field="title")
    if not data.measures:
        raise ValidationFailed(_("请至少选择一项问责措施。"), field="measures")
    if any(m not in Measure.values for m in data.measures):
        raise ValidationFailed(_("问责措施无效。"), field="measures")
    if not data.people:
        raise ValidationFailed(_("请填写被问责人。"), field="people")
    if Measure.LEAD_TRANSFER in data.measures and not data.lead_transferred_to.strip():
        raise ValidationFailed(_("移送问题线索的，请填写移送至哪个机关。"), field="lead_transferred_to")
    if any(not t.region.path.startswith(region.path) for t in data.tasks):
        raise ValidationFailed(_("关联的整改任务须属于本区域。"), field="tasks")
    if any(not c.inspection.target_region.path.startswith(region.path) for c in data.complaints):
        raise ValidationFailed(_("关联的信访件须属于本区域。"), field="complaints")


def accountability_case_save(*, actor: Any, data: CaseData, case: AccountabilityCase | None = None,
                             region: Region | None = None) -> AccountabilityCase:
    """The discipline body records (`case` None, in `region`, default its own) or edits an accountability
    case: the people (name, post), the measures, the lead transferred and to whom, the linked tasks and
    complaints, and the proposal of the escalation ladder it answers. Event `accountability.created` or
    `accountability.updated` with the changes."""
    if case is not None:
        if not cases_for(actor).filter(pk=case.pk).exists():
            raise NotFound()
        region = case.region
    region = region or getattr(getattr(actor, "organization", None), "region", None)
    if region is None or not may_record_case(actor, region):
        raise PermissionDenied(_("只有本区域的纪检监察机关可以记录问责。"))
    _validate_case(data, region)
    measures = [m for m in Measure.values if m in data.measures]
    with transaction.atomic():
        if case is None:
            target = AccountabilityCase(region=region, recorded_by=actor)
            before: dict[str, Any] = {}
        else:
            target = AccountabilityCase.objects.select_for_update().get(pk=case.pk)
            before = _case_snapshot(target)
        target.title, target.date, target.description = data.title.strip(), data.date, data.description.strip()
        target.measures = measures
        target.lead_transferred_to = data.lead_transferred_to.strip()
        if data.proposal_event is not None or case is None:
            target.proposal_event = data.proposal_event
        target.save()
        target.people.all().delete()
        AccountabilityPerson.objects.bulk_create([AccountabilityPerson(case=target, name=n.strip(), post=p.strip())
                                                  for n, p in data.people if n.strip()])
        target.tasks.set(data.tasks)
        target.complaints.set(data.complaints)
        after = _case_snapshot(target)
        if case is None:
            event_record(actor=actor, verb="accountability.created", obj=target, data={"after": after})
        else:
            changes = diff(before, after)
            if changes:
                event_record(actor=actor, verb="accountability.updated", obj=target, data={"changes": changes})
    return target

