"""Runs the stages of `zhenggai generate-dataset`, each in its own transaction, and reports what it wrote.

Stages: regions, units and people → inspections and plans → tasks (with rounds, reports, warnings,
supervision, acceptance, notices and their evidence), district by district → complaint cases,
inspection by inspection → sequences and statistics. All of them run in one transaction (a failure
leaves the database as it was). On PostgreSQL the secondary indexes and foreign keys of every table
written are dropped first and recreated once at the end, in the same transaction: each index is built
once over all its rows instead of once per stage (the event log's indexes were built twice before).
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.apps import apps
from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction

from zhenggai.core.actors import SYSTEM_USERNAME, system_actor

from . import context as context_module
from .bulk import Table, analyze, aware, relaxed, reset_sequences
from .complaints import build_complaints
from .context import Context
from .history import TaskLife
from .inspections import PlanInfo, build_inspections
from .orgs import build_tree
from .scales import Scale
from .tasks import build_rounds, build_tasks

# where the reference date sits by default: fixed, so that a seed always gives the same data
DEFAULT_AS_OF = dt.date(2026, 11, 30)
# apps whose rows make a database "hold data" (and that --force empties); the working-day calendar stays
DATA_APPS = ("accounts", "core", "inspections", "rectification", "complaints", "evidence", "notifications",
             "assessment", "reports", "api")
KEEP = ("core.WorkCalendar",)

STAGE_MODELS: dict[str, tuple[str, ...]] = {
    "orgs": ("accounts.Region", "accounts.Organization", "accounts.User", "accounts.UserRole"),
    "inspections": ("inspections.Inspection", "inspections.Plan", "inspections.MeasureArea", "inspections.Finding",
                    "inspections.Meeting", "core.Event", "core.EventChain"),
    "tasks": ("rectification.Task", "rectification.Measure", "rectification.Milestone",
              "rectification.DispatchRound", "rectification.ProgressReport", "rectification.AcceptanceApplication",
              "rectification.AcceptanceReview", "rectification.PublicNotice", "rectification.Objection",
              "rectification.SupervisionNotice", "evidence.Evidence", "core.Event", "core.EventChain"),
    "complaints": ("complaints.HandoverBatch", "complaints.Complaint", "complaints.Complainant", "evidence.Evidence",
                   "core.Event", "core.EventChain"),
}
STAGE_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "tasks": (("rectification.Task", "implementing_units"), ("rectification.Task", "cooperating_units"),
              ("rectification.Measure", "units"), ("rectification.DispatchRound", "tasks"),
              ("rectification.ProgressReport", "evidence"), ("rectification.AcceptanceApplication", "evidence"),
              ("rectification.AcceptanceReview", "photos"), ("inspections.Meeting", "tasks")),
    "complaints": (("complaints.Complaint", "cooperating_units"),),
}


class DatabaseNotEmpty(Exception):
    """The database already holds data; --force replaces it."""


@dataclass
class Summary:
    scale: str
    seed: int
    as_of: dt.date
    stages: list[tuple[str, float, float]] = field(default_factory=list)  # (name, seconds, rebuild seconds)
    rows: dict[str, int] = field(default_factory=dict)
    events: int = 0
    accounts: list[tuple[str, str, str]] = field(default_factory=list)
    seconds: float = 0.0


def _data_models() -> list[Any]:
    return [m for m in apps.get_models(include_auto_created=True)
            if m._meta.app_label in DATA_APPS and m._meta.label not in KEEP]


def database_holds_data() -> bool:
    from zhenggai.accounts.models import Organization, Region, User
    from zhenggai.core.models import Event
    from zhenggai.inspections.models import Inspection

    return (Region.objects.exists() or Organization.objects.exists() or Inspection.objects.exists()
            or Event.objects.exists() or User.objects.exclude(username=SYSTEM_USERNAME).exists())


def clear_database() -> None:
    """Empty every table of the product's data (not the working-day calendar), in one transaction."""
    tables = [m._meta.db_table for m in _data_models()]
    with transaction.atomic():
        for sql in connection.ops.sql_flush(no_style(), tables, allow_cascade=True):
            with connection.cursor() as cursor:
                cursor.execute(sql)


def generate(*, scale: Scale, seed: int, as_of: dt.date = DEFAULT_AS_OF, force: bool = False, files: bool = False,
             progress: bool | None = None, say: Callable[[str], Any] | None = None) -> Summary:
    """Generate `scale`'s data with `seed` as it stands on `as_of`. Refuses (DatabaseNotEmpty) when the
    database holds data, unless `force`, which empties it first."""
    say = say or (lambda _line: None)
    if progress is None:
        progress = sys.stderr.isatty()
    started = time.monotonic()
    if database_holds_data():
        if not force:
            raise DatabaseNotEmpty()
        say("清空现有数据……")
        clear_database()
    for cached in (context_module.working_day_on_or_after, context_module.plus_working_days,
                   context_module.yellow_from, aware):
        cached.cache_clear()
    ctx = Context(scale=scale, seed=seed, as_of=as_of, files=files)
    summary = Summary(scale.name, seed, as_of)
    actor = _system_actor()
    ctx.system = (actor.pk, actor.get_full_name() or actor.get_username())

    def stage(label: str, work: Callable[[], None]) -> None:
        say(label)
        began = time.monotonic()
        work()
        ctx.writer.flush()
        summary.stages.append((label, time.monotonic() - began, 0.0))

    plans: list[PlanInfo] = []

    def inspections() -> None:
        plans.extend(build_inspections(ctx))

    def tasks() -> None:
        yellow_days = int(settings.ZHENGGAI_WARNING_YELLOW_DAYS)
        bar = _bar(progress, total=sum(p.tasks for p in plans), unit="项任务", desc="整改任务")
        from zhenggai.inspections.models import Meeting

        for district in ctx.districts:
            mine = [p for p in plans if p.district is district]
            rounds = build_rounds(ctx, district, mine)
            for plan in mine:
                for task in build_tasks(ctx, plan):
                    TaskLife(ctx, task, rounds, yellow_days).run()
                    bar.update(1)
                for meeting_id, numbers in plan.meetings:
                    for number in numbers:
                        ctx.link(Meeting, "tasks", meeting_id=meeting_id, task_id=plan.first_task_id + number - 1)
            _write_rounds(ctx, district, rounds)
            ctx.log.close_chains()
        bar.close()

    def complaints() -> None:
        bar = _bar(progress, total=sum(p.complaints for p in plans), unit="件", desc="信访件")
        for plan in plans:
            build_complaints(ctx, plan)
            bar.update(plan.complaints)
        bar.close()

    # one transaction and one window without secondary indexes and foreign keys for every stage: each
    # index is built once, over all its rows, and each foreign key validated once (a stage of its own)
    tables = [ctx.table(m) for name in STAGE_MODELS for m in STAGE_MODELS[name]]
    tables += [ctx.through(apps.get_model(m), f) for name in STAGE_LINKS for m, f in STAGE_LINKS[name]]
    try:
        with transaction.atomic():
            with relaxed(tables) as timing:
                try:
                    stage("行政区域、单位和账号……", lambda: build_tree(ctx))
                    stage("督察、整改方案、反馈问题和研究部署……", inspections)
                    stage("整改任务、调度与进展、预警与督办、验收与公示……", tasks)
                    stage("信访件：交办、办理、审核与公开……", complaints)
                except BaseException:
                    ctx.writer.abort()
                    raise
                say("重建索引和外键……")
            summary.stages.append(("重建索引和外键", timing.get("rebuild", 0.0), 0.0))
    finally:
        ctx.writer.close()

    say("重置序列并更新统计信息……")
    began = time.monotonic()
    touched = [t.model for t in ctx.tables.values()]
    with transaction.atomic():
        reset_sequences(touched)
    analyze(ctx.tables.values())
    summary.stages.append(("重置序列、ANALYZE", time.monotonic() - began, 0.0))

    # projections the event log's post_save keeps, which COPY does not fire
    say("预警变化记录……")
    began = time.monotonic()
    from zhenggai.reports.dashboards_warning_steps import warning_steps_rebuild

    warning_steps_rebuild()
    summary.stages.append(("预警变化记录", time.monotonic() - began, 0.0))
    summary.rows = dict(sorted(ctx.writer.counts.items()))
    summary.events = ctx.log.count
    summary.accounts = ctx.accounts
    summary.seconds = time.monotonic() - started
    return summary


def _system_actor() -> Any:
    """The system actor (`core.actors.system_actor`), created with the next free id when missing rather
    than with whatever id the sequence hands out, so that the same seed gives the same ids."""
    from django.db.models import Max

    from zhenggai.accounts.models import User

    actor = User.objects.filter(username=SYSTEM_USERNAME).first()
    if actor is None:
        actor = User(id=(User.objects.aggregate(m=Max("id"))["m"] or 0) + 1, username=SYSTEM_USERNAME,
                     first_name="系统", is_active=False)
        actor.set_unusable_password()
        actor.save()
    return system_actor()


def _write_rounds(ctx: Context, district: Any, rounds: Iterable[Any]) -> None:
    """The district's rounds, their task snapshots and events (opened by the schedule, closed by the office)."""
    from zhenggai.rectification.models import DispatchRound

    for rnd in rounds:
        opened = aware(rnd.start, 7, 30)
        closed_at = None if rnd.open else aware(rnd.due + dt.timedelta(days=3), 17, 0)
        ctx.add("rectification.DispatchRound", id=rnd.id, title=rnd.title, kind="monthly", region_id=district.region_id,
                plan_id=None, period_start=rnd.start, due_date=rnd.due, status="open" if rnd.open else "closed",
                opened_by_id=ctx.system[0], opened_at=opened, closed_at=closed_at, auto_key=rnd.key)
        for task_id in sorted(rnd.tasks):
            ctx.link(DispatchRound, "tasks", dispatchround_id=rnd.id, task_id=task_id)
        key = f"dispatchround:{rnd.id}"
        ctx.log.record(key=key, at=opened, actor=ctx.system, verb="round.opened", object_type="dispatchround",
                       object_id=rnd.id, object_repr=rnd.title, data={
                           "kind": "monthly", "period_start": rnd.start.isoformat(), "due_date": rnd.due.isoformat(),
                           "plan": None, "tasks": sorted(rnd.tasks), "auto_key": rnd.key})
        if closed_at is not None:
            ctx.log.record(key=key, at=closed_at, actor=district.office_users[0], verb="round.closed",
                           object_type="dispatchround", object_id=rnd.id, object_repr=rnd.title,
                           data={"changes": {"status": ["open", "closed"]}})


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def _bar(progress: bool, **kwargs: Any) -> Any:
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(file=sys.stderr, dynamic_ncols=True, **kwargs)


def print_summary(summary: Summary, out: TextIO | Any) -> None:
    from django.apps import apps as registry

    out.write(f"规模 {summary.scale}，种子 {summary.seed}，数据截至 {summary.as_of:%Y年%-m月%-d日}，"
              f"用时 {summary.seconds:.1f} 秒。\n")
    out.write("各阶段用时：\n")
    for name, seconds, rebuild in summary.stages:
        extra = f"（其中重建索引和外键 {rebuild:.1f} 秒）" if rebuild else ""
        out.write(f"  {name:<24} {seconds:8.1f} 秒{extra}\n")
    out.write("写入行数：\n")
    for label, count in summary.rows.items():
        model = registry.get_model(label)
        out.write(f"  {label:<44} {count:>10,}  {model._meta.verbose_name}\n")
    out.write("账号密码均为演示密码（zhenggai-demo）；示例账号：\n")
    for username, role, org in summary.accounts:
        out.write(f"  {username:<14} {role:<10} {org}\n")


__all__ = ["DEFAULT_AS_OF", "DatabaseNotEmpty", "Summary", "Table", "clear_database", "database_holds_data",
           "generate", "print_summary"]
