"""Stage 2: inspections with their plans, measure areas, findings and meetings, each written with the
event `record_save` writes (`<verb>.created` with the saved fields under "after").

Each district has its share of the inspections (central, provincial, and look-backs of earlier ones),
spread so that every plan was approved at least two months before the reference date. Task ids are
allocated here per plan, so that meetings can name their tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from zhenggai.inspections.models import Inspection
from zhenggai.inspections.services import INSPECTION_FIELDS, MEETING_FIELDS, PLAN_FIELDS

from . import vocab
from .bulk import aware
from .context import Context, District

CN = "一二三四五六七八九十"
GOALS: list[dict[str, str]] = list(vocab.PLAN["goals"])  # type: ignore[arg-type]


@dataclass
class PlanInfo:
    district: District
    inspection_id: int
    inspection_title: str
    level: str
    round: str
    start: dt.date
    end: dt.date
    feedback: dt.date | None
    plan_id: int  # 0: no plan yet (a recent inspection)
    approved: dt.date | None
    areas: dict[int, int]  # measure area number → id
    findings: list[int]
    first_task_id: int
    tasks: int
    complaints: int
    reply_days: int = 10
    meetings: list[tuple[int, list[int]]] = field(default_factory=list)  # (meeting id, task numbers)


def _apportion(rng: Any, total: int, parts: int, spread: float = 0.6) -> list[int]:
    """`total` split into `parts` uneven shares that add up exactly."""
    weights = [rng.uniform(1 - spread, 1 + spread) for _ in range(parts)]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    for i in sorted(range(parts), key=lambda i: (w := weights[i] * scale) - int(w), reverse=True)[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _after(values: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """`record_save`'s "after": the fields as model_to_dict gives them (foreign keys as ids)."""
    return {name: values[name] for name in fields}


def build_inspections(ctx: Context) -> list[PlanInfo]:
    rng = ctx.rng
    scale = ctx.scale
    per_district = _apportion(rng, scale.inspections, scale.districts, 0.3)
    # the latest inspection of a district with three or more is recent: its complaints are still being
    # handled and its plan is not approved yet (no tasks)
    recent_count = sum(1 for count in per_district if count >= 3)
    tasks = _apportion(rng, scale.tasks, scale.inspections - recent_count)
    complaints = _apportion(rng, scale.complaints, scale.inspections)
    plans: list[PlanInfo] = []
    latest_start = ctx.as_of - dt.timedelta(days=230)
    earliest_start = ctx.as_of - dt.timedelta(days=820)
    span = (latest_start - earliest_start).days
    n = t = 0
    task_table = ctx.table("rectification.Task")
    for district, count in zip(ctx.districts, per_district, strict=True):
        actor = district.office_users[0]
        starts = sorted(earliest_start + dt.timedelta(days=rng.randrange(span)) for _ in range(count))
        earlier: list[tuple[int, str]] = []
        if count >= 3:
            starts[-1] = ctx.as_of - dt.timedelta(days=rng.randrange(40, 110))
        for index, start in enumerate(starts):
            recent = count >= 3 and index == count - 1
            level_roll = rng.random()
            groups = [g for g in ctx.groups if g[2] == ("central" if level_roll < 0.15 else "provincial")]
            group_id, group_name, level = rng.choice(groups)
            kind = "look_back" if earlier and rng.random() < 0.2 else ("special" if rng.random() < 0.15 else "routine")
            follows = earlier[-1][0] if kind == "look_back" else None
            round_name = f"第{CN[rng.randrange(2, 9)]}轮"
            end = start + dt.timedelta(days=rng.randrange(12, 31))
            feedback: dt.date | None = end + dt.timedelta(days=rng.randrange(45, 100))
            if feedback is not None and feedback >= ctx.as_of:
                feedback = None
            approved = (feedback or end) + dt.timedelta(days=rng.randrange(20, 50))
            reported = (f"{feedback.year}年{feedback.month}月{feedback.day}日反馈督察报告" if feedback
                        else "督察报告尚未反馈")
            kind_word = {"routine": "例行督察", "special": "专项督察", "look_back": "督察“回头看”"}[kind]
            title = f"{group_name}对{district.name}开展生态环境保护{kind_word}"
            values = {
                "title": title, "level": level, "round": round_name, "kind": kind, "group": group_id,
                "target_region": district.region_id, "start_date": start, "end_date": end, "feedback_date": feedback,
                "follows": follows,
                "summary": f"{start.year}年{start.month}月{start.day}日至{end.month}月{end.day}日，{group_name}在"
                           f"{district.name}开展{kind_word}，{reported}。",
                "complaint_reply_days": 10, "is_sample": False,
            }
            created = aware(start if recent else (feedback or start), 10, rng.randrange(60))
            inspection_id = ctx.add(
                "inspections.Inspection", title=title, level=level, round=round_name, kind=kind, group_id=group_id,
                target_region_id=district.region_id, start_date=start, end_date=end, feedback_date=feedback,
                follows_id=follows, summary=values["summary"], complaint_reply_days=10, is_sample=False,
                created_at=created, updated_at=created,
            )
            ctx.log.record(key=f"inspection:{inspection_id}", at=created, actor=actor, verb="inspection.created",
                           object_type="inspection", object_id=inspection_id, object_repr=title,
                           data={"after": _after(values, INSPECTION_FIELDS)})
            earlier.append((inspection_id, title))
            n_complaints = complaints[n]
            n += 1
            if recent:
                plans.append(PlanInfo(district, inspection_id, title, level, round_name, start, end, feedback, 0,
                                      None, {}, [], 0, 0, n_complaints))
                continue
            assert feedback is not None
            n_tasks = tasks[t]
            t += 1
            plans.append(_plan(ctx, district, actor, inspection_id, title, level, round_name, start, end, feedback,
                               approved, n_tasks, n_complaints, task_table.allocate(n_tasks)))
    ctx.log.close_chains()
    return plans


def _plan(ctx: Context, district: District, actor: tuple[int, str], inspection_id: int, title: str, level: str,
          round_name: str, start: dt.date, end: dt.date, feedback: dt.date, approved: dt.date, n_tasks: int,
          n_complaints: int, first_task_id: int) -> PlanInfo:
    rng = ctx.rng
    plan_title = f"{district.name}贯彻落实{title.split('对')[0]}督察反馈意见整改方案"
    number = rng.randrange(1, 60)
    published = approved + dt.timedelta(days=rng.randrange(3, 20))
    values = {
        "inspection": inspection_id, "title": plan_title, "document_number": f"{district.name[:2]}委办发〔{approved.year}〕{number}号",
        "approved_date": approved, "published_date": published, "version": 1,
        "summary": vocab.relocate(str(vocab.PLAN["summary"]), district.name, ""),
        "goals": [{"title": g["title"], "text": vocab.relocate(g["text"], district.name, "")} for g in GOALS],
        "guarantee_measures": vocab.PLAN["guarantee_measures"], "is_sample": False,
    }
    at = aware(approved, 15, rng.randrange(60))
    plan_id = ctx.add(
        "inspections.Plan", inspection_id=inspection_id, title=plan_title, document_number=values["document_number"],
        approved_date=approved, published_date=published, version=1, summary=values["summary"],
        goals=_json(values["goals"]), guarantee_measures=_json(values["guarantee_measures"]), is_sample=False,
        created_at=at, updated_at=at,
    )
    ctx.log.record(key=f"plan:{plan_id}", at=at, actor=actor, verb="plan.created", object_type="plan",
                   object_id=plan_id, object_repr=plan_title, data={"after": _after(values, PLAN_FIELDS)})
    areas = {}
    for area_number, area_title, subareas in vocab.MEASURE_AREAS:
        area_id = ctx.add("inspections.MeasureArea", plan_id=plan_id, number=area_number, title=area_title,
                          subareas=_json(subareas))
        areas[area_number] = area_id
        ctx.log.record(key=f"measurearea:{area_id}", at=at, actor=actor, verb="measure_area.created",
                       object_type="measurearea", object_id=area_id, object_repr=area_title,
                       data={"after": {"plan": plan_id, "number": area_number, "title": area_title,
                                       "subareas": subareas}})
    findings = []
    for finding_number in range(1, max(3, n_tasks // 4) + 1):
        template = rng.choice(vocab.TASK_TEMPLATES)
        text = vocab.relocate(template.title, district.name, "")
        finding_id = ctx.add("inspections.Finding", inspection_id=inspection_id, number=finding_number, text=text)
        findings.append(finding_id)
        ctx.log.record(key=f"finding:{finding_id}", at=at, actor=actor, verb="finding.created",
                       object_type="finding", object_id=finding_id, object_repr=f"{finding_number}. {text[:40]}",
                       data={"after": {"inspection": inspection_id, "number": finding_number, "text": text}})
    info = PlanInfo(district, inspection_id, title, level, round_name, start, end, feedback, plan_id, approved, areas,
                    findings, first_task_id, n_tasks, n_complaints)
    for k, (_date, meeting_title, body, decisions, _numbers) in enumerate(vocab.MEETINGS[:3]):
        day = feedback + dt.timedelta(days=2 + 25 * k)
        meeting_title = vocab.relocate(meeting_title, district.name, "")
        decisions = vocab.relocate(decisions, district.name, "")
        body = body.replace("区", "区", 1)
        meeting_at = aware(day, 16, rng.randrange(60))
        meeting_id = ctx.add("inspections.Meeting", inspection_id=inspection_id, date=day, title=meeting_title,
                             body=body, decisions=decisions, created_at=meeting_at)
        values = {"inspection": inspection_id, "date": day, "title": meeting_title, "body": body,
                  "decisions": decisions}
        ctx.log.record(key=f"meeting:{meeting_id}", at=meeting_at, actor=actor, verb="meeting.created",
                       object_type="meeting", object_id=meeting_id, object_repr=f"{day:%Y-%m-%d} {meeting_title}",
                       data={"after": _after(values, MEETING_FIELDS)})
        numbers = sorted(rng.sample(range(1, n_tasks + 1), min(4, n_tasks))) if k else []
        info.meetings.append((meeting_id, numbers))
    return info


def _json(value: Any) -> Any:
    from .bulk import Json, _json

    return Json(_json(value))


__all__ = ["Inspection", "PlanInfo", "build_inspections"]
