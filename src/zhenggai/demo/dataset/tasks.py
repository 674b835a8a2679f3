"""Stage 3, part 1: the tasks of each plan (measures, milestones, units) and the outcome each task is
heading for, and the district's monthly dispatch rounds (`history.py` lives the tasks through them).

A task's deadline falls in 2025–2027 (after its plan's approval); about two thirds finish before their
deadline, a quarter late and a few very late; long-term tasks finish within two years. Whether a task
is closed, in public notice, awaiting acceptance, in progress or not started on the reference date
follows from those dates, the rounds and the acceptance steps — never drawn on its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from zhenggai.rectification.workflow import DeadlineKind

from . import vocab
from .context import Context, District, Org, plus_working_days, working_day_on_or_after
from .inspections import PlanInfo


@dataclass
class MeasureDef:
    id: int
    number: int
    text: str
    units: list[Org]
    deadline: dt.date | None
    deadline_text: str
    kind: str


@dataclass
class TaskDef:
    id: int
    plan: PlanInfo
    number: int
    title: str
    goal: str
    lead: Org
    acceptance: Org
    units: list[Org]
    cooperating: list[Org]
    leader: str
    deadline: dt.date | None
    deadline_text: str
    kind: str
    due_year: int
    category: str
    area_id: int
    area_number: int
    region_id: int
    finding_id: int | None
    measures: list[MeasureDef]
    milestones: list[tuple[dt.date, str, int]]
    created: dt.date  # the plan's approval: the task is created then
    title_words: tuple[str, ...]  # the search words of the title
    target: dt.date  # when the unit means to apply for acceptance
    returned: bool  # the first application is sent back
    objection: bool  # someone objects during the public notice


@dataclass
class Round:
    id: int
    title: str
    start: dt.date
    due: dt.date
    open: bool
    key: str
    tasks: list[int] = field(default_factory=list)


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def _deadline(ctx: Context, created: dt.date) -> tuple[dt.date | None, str, str, int]:
    """(deadline, deadline text, kind, due year) for a task of a plan approved on `created`."""
    rng = ctx.rng
    earliest = created + dt.timedelta(days=60)
    roll = rng.random()
    if roll < 0.05:
        year = min(max(created.year + 1, 2025), 2027)
        return None, "长期坚持", DeadlineKind.LONG_TERM, year
    if roll < 0.13:
        day = created + dt.timedelta(days=rng.randrange(30, 90))
        return day, "立行立改", DeadlineKind.IMMEDIATE, day.year
    years = [y for y in (2025, 2026, 2027) if dt.date(y, 12, 31) >= earliest] or [2027]
    weights = [3, 2, 1][: len(years)]
    year = rng.choices(years, weights)[0]
    low = max(earliest, dt.date(year, 1, 1))
    day = low + dt.timedelta(days=rng.randrange(max((dt.date(year, 12, 31) - low).days, 1)))
    if rng.random() < 0.7:
        deadline = _month_end(day.year, day.month)
        text = f"{deadline.year}年{deadline.month}月底"
    else:
        deadline = day
        text = f"{day.year}年{day.month}月{day.day}日"
    if roll < 0.28:
        return deadline, "立行立改、长期坚持", DeadlineKind.IMMEDIATE_LONG_TERM, deadline.year
    return deadline, text, DeadlineKind.BY_DATE, deadline.year


def _units(district: District, names: Any, ctx: Context) -> list[Org]:
    return list(dict.fromkeys(district.unit(n, ctx.rng) for n in names))


def build_tasks(ctx: Context, plan: PlanInfo) -> list[TaskDef]:
    rng = ctx.rng
    district = plan.district
    measure_table = ctx.table("rectification.Measure")
    if not plan.tasks or plan.approved is None:
        return []
    created = plan.approved
    tasks = []
    for offset in range(plan.tasks):
        template = rng.choice(vocab.TASK_TEMPLATES)
        town_id, town = rng.choice(district.township_regions)
        title = vocab.relocate(template.title, district.name, "")
        title_words = vocab.moved_words(template.title, district.name, district.name)
        units = _units(district, template.units, ctx)
        region_id = district.region_id
        if rng.random() < 0.35:
            title = f"{town}{title}"
            title_words = vocab.moved_words(template.title, district.name, town)
            township = next(o for o in district.townships if o.name == town)
            units = [township] if rng.random() < 0.6 else list(dict.fromkeys([*units, township]))
            if units == [township]:
                region_id = town_id
        units = units[: rng.choices((1, 2, 3), (55, 35, 10))[0]]
        lead = district.unit(template.lead, rng)
        acceptance = district.unit(template.acceptance, rng)
        if not acceptance.acceptors or acceptance in units:
            acceptance = rng.choice([o for o in district.accepting if o not in units] or district.accepting)
        cooperating = [o for o in _units(district, template.cooperating, ctx) if o not in units][:2]
        deadline, deadline_text, kind, due_year = _deadline(ctx, created)
        measures = []
        count = rng.choice((2, 3, 3, 3, 4))
        texts = [(m.text, m.units) for m in template.measures][:count]
        while len(texts) < count:
            texts.append((rng.choice(vocab.GENERIC_MEASURES), ()))
        for number, (text, names) in enumerate(texts, start=1):
            m_kind: str
            m_units = _units(district, names, ctx)[:2] if names else units[:1]
            if deadline is None:
                m_deadline, m_text, m_kind = None, "长期坚持", DeadlineKind.LONG_TERM
            elif rng.random() < 0.5 or deadline <= created + dt.timedelta(days=40):
                m_deadline, m_text, m_kind = deadline, deadline_text, kind
            else:
                m_deadline = _month_end(*divmod_month(created + (deadline - created) / 2))
                m_text, m_kind = f"{m_deadline.year}年{m_deadline.month}月底", DeadlineKind.BY_DATE
            measures.append(MeasureDef(measure_table.allocate(), number, vocab.relocate(text, district.name, ""),
                                       m_units, m_deadline, m_text, m_kind))
        milestones = []
        if deadline is not None and rng.random() < 0.15 and (deadline - created).days > 120:
            milestones.append((created + (deadline - created) / 2, "完成主体工程", 50))
        if kind == DeadlineKind.LONG_TERM:
            target = created + dt.timedelta(days=rng.randrange(180, 720))
        else:
            assert deadline is not None
            roll = rng.random()
            if roll < 0.65:
                target = deadline - dt.timedelta(days=rng.randrange(5, 120))
            elif roll < 0.9:
                target = deadline + dt.timedelta(days=rng.randrange(1, 150))
            else:
                target = deadline + dt.timedelta(days=rng.randrange(150, 400))
        target = max(target, created + dt.timedelta(days=25))
        area_number = template.area
        tasks.append(TaskDef(
            id=plan.first_task_id + offset, plan=plan, number=offset + 1, title=title,
            goal=vocab.relocate(template.goal, district.name, ""), lead=lead, acceptance=acceptance, units=units,
            cooperating=cooperating, leader=template.leader, deadline=deadline, deadline_text=deadline_text,
            kind=kind, due_year=due_year, category=template.category, area_id=plan.areas[area_number],
            area_number=area_number, region_id=region_id,
            finding_id=plan.findings[offset % len(plan.findings)] if plan.findings else None,
            measures=measures, milestones=milestones, created=created, title_words=title_words, target=target, returned=rng.random() < 0.08,
            objection=rng.random() < 0.03,
        ))
    return tasks


def divmod_month(day: dt.date) -> tuple[int, int]:
    return day.year, day.month


def build_rounds(ctx: Context, district: District, plans: list[PlanInfo]) -> list[Round]:
    """The district's monthly rounds, opened by the schedule on the first working day of each month from
    the month after its first plan was approved, the last one (in the reference date's month) still open."""
    table = ctx.table("rectification.DispatchRound")
    approved = [p.approved for p in plans if p.tasks and p.approved is not None]
    if not approved:
        return []
    first = min(approved)
    year, month = first.year, first.month
    rounds = []
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        start = working_day_on_or_after(dt.date(year, month, 1))
        if start >= ctx.as_of:
            break
        due = plus_working_days(start, 5)
        is_open = (year, month) == (ctx.as_of.year, ctx.as_of.month)
        rounds.append(Round(table.allocate(), f"{year}年{month}月调度", start, due, is_open, f"monthly-{year}-{month:02d}"))
    return rounds
