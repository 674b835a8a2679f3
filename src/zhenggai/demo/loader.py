"""Loads the demo in one transaction: regions, the organization tree, the demo accounts, the Liangping
inspection with its plan and 37 tasks, and a central inspection with its look-back.

Inspections, plans, measure areas, findings, meetings and tasks go through the services (or the
audited `record_save`) as the system actor, so the event log holds their history from the start;
regions, organizations and users are created directly. Task states other than "not started", the
finding a task rectifies and rebound links are set after creation, each with its own event.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterable
from typing import Any, Protocol

from django.contrib.auth.hashers import make_password
from django.core.management.base import CommandError
from django.db import transaction

from zhenggai.accounts.models import Organization, Region, User, UserRole
from zhenggai.core.actors import SYSTEM_USERNAME, system_actor
from zhenggai.core.events import event_record
from zhenggai.core.models import Event
from zhenggai.core.services import record_save
from zhenggai.inspections.models import Finding, Inspection, MeasureArea, Meeting, Plan
from zhenggai.inspections.services import inspection_save, meeting_save, plan_save
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import MeasureData, TaskData, task_create
from zhenggai.rectification.workflow import DeadlineKind, TaskSource, TaskStatus

from . import ALL_DEMO_ACCOUNTS, DEMO_PASSWORD, data_central, data_liangping, data_orgs
from .data_tasks import TASKS
from .specs import T

LOOP_STATES = (TaskStatus.ACCEPTANCE_REQUESTED, TaskStatus.IN_PUBLIC_NOTICE, TaskStatus.CLOSED)


class Writer(Protocol):
    def write(self, msg: str) -> Any: ...


class DemoDataExists(CommandError):
    """The demo (or a part of it) is already in the database: loading it again would duplicate it."""


def demo_present() -> bool:
    """True when a demo account or the Liangping plan already exists."""
    usernames = [username for username, _role, _org in ALL_DEMO_ACCOUNTS]
    return (
        User.objects.filter(username__in=usernames).exists()
        or Plan.objects.filter(title=data_liangping.PLAN_TITLE).exists()
    )


def database_has_data() -> bool:
    """True when the database holds any inspection or any user besides the system actor
    (what `load-demo --if-empty` checks)."""
    return Inspection.objects.exists() or User.objects.exclude(username=SYSTEM_USERNAME).exists()


# ── deadlines as written in published plans ──

_DATE_TEXT = re.compile(r"^(\d{4})年(\d{1,2})月(?:(\d{1,2})日|底)前?$")
_KIND_TEXT = {
    "立行立改、长期坚持": DeadlineKind.IMMEDIATE_LONG_TERM,
    "长期坚持": DeadlineKind.LONG_TERM,
    "立行立改": DeadlineKind.IMMEDIATE,
}


def deadline_from_text(text: str, due_date: str | None = None) -> tuple[dt.date | None, str]:
    """("2025年12月底" → 2025-12-31, by_date); ("立行立改、长期坚持", "2025-12-31") → (2025-12-31,
    immediate_long_term). Only the forms the demo uses; the importer has the general parser."""
    text = text.strip()
    if text in _KIND_TEXT:
        return (dt.date.fromisoformat(due_date) if due_date else None), _KIND_TEXT[text]
    match = _DATE_TEXT.match(text)
    if not match:
        raise ValueError(f"演示数据中的整改时限无法识别：{text!r}")
    year, month, day = int(match[1]), int(match[2]), match[3]
    if day:
        return dt.date(year, month, int(day)), DeadlineKind.BY_DATE
    next_month = dt.date(year + month // 12, month % 12 + 1, 1)
    return next_month - dt.timedelta(days=1), DeadlineKind.BY_DATE


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class _Loader:
    def __init__(self, stdout: Writer | None) -> None:
        self.stdout = stdout
        self.actor = system_actor()
        self.units: dict[str, Organization] = {}
        self.regions: dict[str, Region] = {}
        self.later: dict[int, str] = {}  # task pk -> the status demo.loop drives it to

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    # ── regions, organizations, users ──

    def region(self, code: str, name: str, level: str, parent: Region | None) -> Region:
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = Region.objects.create(code=code, name=name, level=level, parent=parent)
        self.regions[name] = region
        return region

    def org(
        self, name: str, *, kind: str, region: Region, parent: Organization | None = None,
        short_name: str = "", sort_order: int = 0,
    ) -> Organization:
        org = Organization.objects.filter(region=region, name=name).first()
        if org is None:
            org = Organization.objects.create(
                name=name, short_name=short_name, kind=kind, region=region, parent=parent, sort_order=sort_order
            )
        self.units[name] = org
        if short_name:
            self.units.setdefault(short_name, org)
        return org

    def load_regions_and_units(self) -> None:
        self.say("行政区域与单位……")
        city = self.region(*data_orgs.CITY, Region.Level.CITY, None)
        district = self.region(*data_orgs.DISTRICT, Region.Level.DISTRICT, city)
        for index, name in enumerate(data_orgs.TOWNSHIPS, start=1):
            self.region(data_orgs.township_code(index), name, Region.Level.TOWNSHIP, district)

        order = iter(range(10, 10_000, 10))
        gov = self.org(data_orgs.GOVERNMENT[0], short_name=data_orgs.GOVERNMENT[1],
                       kind=Organization.Kind.GOVERNMENT, region=district, sort_order=next(order))
        self.org(data_orgs.OFFICE[0], short_name=data_orgs.OFFICE[1], kind=Organization.Kind.OFFICE,
                 region=district, parent=gov, sort_order=next(order))
        for name, short_name in data_orgs.DEPARTMENTS:
            self.org(name, short_name=short_name, kind=Organization.Kind.DEPARTMENT, region=district,
                     parent=gov, sort_order=next(order))
        for name in data_orgs.TOWNSHIPS:
            self.org(name, kind=Organization.Kind.TOWNSHIP, region=self.regions[name], parent=gov,
                     sort_order=next(order))
        for name in data_orgs.INSPECTION_GROUPS:
            self.org(name, kind=Organization.Kind.INSPECTION_GROUP, region=city, sort_order=next(order))

    def load_users(self) -> None:
        self.say("演示账号……")
        # One hash for all demo accounts: they share a published password, and hashing once keeps
        # loading fast with Argon2.
        password = make_password(DEMO_PASSWORD)
        users = []
        for username, _role, org_name in ALL_DEMO_ACCOUNTS:
            last, first, title, is_staff = data_orgs.PROFILES[username]
            users.append(User(
                username=username, last_name=last, first_name=first, title=title, is_staff=is_staff,
                organization=self.units[org_name], password=password,
            ))
        created = {u.username: u for u in User.objects.bulk_create(users)}
        UserRole.objects.bulk_create(
            [UserRole(user=created[username], role=role) for username, role, _org in ALL_DEMO_ACCOUNTS]
        )

    # ── inspections, plans, tasks ──

    def inspection(self, spec: dict[str, Any], *, is_sample: bool, follows: Inspection | None = None) -> Inspection:
        inspection = Inspection(
            title=spec["title"], level=spec["level"], round=spec["round"], kind=spec["kind"],
            group=self.units[spec["group"]], target_region=self.regions[data_orgs.DISTRICT[1]],
            start_date=dt.date.fromisoformat(spec["start_date"]), end_date=dt.date.fromisoformat(spec["end_date"]),
            feedback_date=_date(spec["feedback_date"]), follows=follows, summary=spec["summary"],
            is_sample=is_sample,
        )
        return inspection_save(actor=self.actor, inspection=inspection)

    def plan(self, inspection: Inspection, spec: dict[str, Any], areas: Iterable[tuple[int, str, list[str]]],
             *, is_sample: bool) -> tuple[Plan, dict[int, MeasureArea]]:
        plan = plan_save(actor=self.actor, plan=Plan(
            inspection=inspection, title=spec["title"], approved_date=_date(spec["approved_date"]),
            published_date=_date(spec["published_date"]), summary=spec["summary"], goals=spec["goals"],
            guarantee_measures=spec["guarantee_measures"], is_sample=is_sample,
        ))
        by_number = {}
        for number, title, subareas in areas:
            area = MeasureArea(plan=plan, number=number, title=title, subareas=subareas)
            by_number[number] = record_save(
                actor=self.actor, obj=area, fields=["plan", "number", "title", "subareas"], verb="measure_area"
            )
        return plan, by_number

    def findings(self, inspection: Inspection, texts: list[str]) -> dict[int, Finding]:
        return {
            number: record_save(
                actor=self.actor, obj=Finding(inspection=inspection, number=number, text=text),
                fields=["inspection", "number", "text"], verb="finding",
            )
            for number, text in enumerate(texts, start=1)
        }

    def units_of(self, names: Iterable[str]) -> list[Organization]:
        return [self.units[name] for name in names]

    def task_data(self, spec: T, areas: dict[int, MeasureArea]) -> TaskData:
        deadline, kind = deadline_from_text(spec.deadline, spec.due_date)
        measures = []
        for number, measure in enumerate(spec.measures, start=1):
            m_deadline, m_kind = deadline_from_text(measure.deadline)
            measures.append(MeasureData(
                number=number, text=measure.text, units=self.units_of(measure.units), deadline=m_deadline,
                deadline_text=measure.deadline, deadline_kind=m_kind,
            ))
        return TaskData(
            number=spec.number, title=spec.title, goal=spec.goal, implementing_units=self.units_of(spec.units),
            lead_unit=self.units[spec.lead], cooperating_units=self.units_of(spec.cooperating),
            responsible_leader=spec.leader, acceptance_unit=self.units[spec.acceptance], deadline=deadline,
            deadline_text=spec.deadline, deadline_kind=kind, due_year=spec.due_year, category=spec.category,
            measure_area=areas[spec.area], is_sample=True, measures=measures,
            milestones=[(dt.date.fromisoformat(d), title, percent) for d, title, percent in spec.milestones],
        )

    def tasks(
        self, plan: Plan, specs: list[T], areas: dict[int, MeasureArea], *,
        findings: dict[int, Finding] | None = None, followed: dict[int, Task] | None = None,
    ) -> dict[int, Task]:
        created = {}
        for spec in specs:
            task = task_create(actor=self.actor, plan=plan, data=self.task_data(spec, areas))
            self.adjust(task, spec, findings or {}, followed or {})
            created[spec.number] = task
        return created

    def adjust(self, task: Task, spec: T, findings: dict[int, Finding], followed: dict[int, Task]) -> None:
        """Set what task_create does not: the finding, a state reached later in the lifecycle, the
        rebound link. One event records it, so the history shows how the task got there."""
        values: dict[str, Any] = {}
        changes: dict[str, list[Any]] = {}
        if spec.finding is not None:
            finding = findings[spec.finding]
            values["finding"] = finding
            changes["finding"] = [None, str(finding)]
        if spec.status != TaskStatus.NOT_STARTED:
            # Later states are reached through the real transitions by demo.loop (evidence, application,
            # review, public notice, closure), so that every record behind them exists.
            reached = TaskStatus.IN_PROGRESS if spec.status in LOOP_STATES else spec.status
            if spec.status in LOOP_STATES:
                self.later[task.pk] = spec.status
            values["status"] = reached
            changes["status"] = [TaskStatus.NOT_STARTED.value, reached]
        if spec.rebound_of is not None:
            old = followed[spec.rebound_of]
            values.update(source=TaskSource.REBOUND, rebound_of=old)
            changes["source"] = [TaskSource.PLAN.value, TaskSource.REBOUND.value]
            changes["rebound_of"] = [None, f"{old.plan.title} 第{old.number}项"]
        if not values:
            return
        Task.objects.filter(pk=task.pk).update(**values)
        for name, value in values.items():
            setattr(task, name, value)
        event_record(actor=self.actor, verb="task.demo_state_set", obj=task,
                     data={"changes": changes, "note": "演示数据：载入时直接设定"})

    def meetings(self, inspection: Inspection, tasks: dict[int, Task]) -> None:
        for date, title, body, decisions, numbers in data_liangping.MEETINGS:
            meeting_save(
                actor=self.actor,
                meeting=Meeting(inspection=inspection, date=dt.date.fromisoformat(date), title=title, body=body, decisions=decisions),
                tasks=[tasks[n] for n in numbers],
            )

    def run(self) -> dict[str, Any]:
        self.load_regions_and_units()
        self.load_users()

        self.say("梁平区督察、整改方案与37项整改任务……")
        liangping = self.inspection(data_liangping.INSPECTION, is_sample=False)
        plan, areas = self.plan(liangping, data_liangping.PLAN, data_liangping.MEASURE_AREAS, is_sample=False)
        findings = self.findings(liangping, data_liangping.FINDINGS)
        tasks = self.tasks(plan, TASKS, areas, findings=findings)
        self.meetings(liangping, tasks)
        from .complaints_loader import load_complaints

        load_complaints(actor=self.actor, inspection=liangping, say=self.say)

        self.say("中央督察及其“回头看”（示例）……")
        central = self.inspection(data_central.CENTRAL_INSPECTION, is_sample=True)
        c_plan, c_areas = self.plan(central, data_central.CENTRAL_PLAN, data_central.CENTRAL_AREAS, is_sample=True)
        c_tasks = self.tasks(c_plan, data_central.CENTRAL_TASKS, c_areas)
        look_back = self.inspection(data_central.LOOK_BACK_INSPECTION, is_sample=True, follows=central)
        l_plan, l_areas = self.plan(look_back, data_central.LOOK_BACK_PLAN, data_central.LOOK_BACK_AREAS,
                                    is_sample=True)
        rebounds = self.tasks(l_plan, data_central.LOOK_BACK_TASKS, l_areas, followed=c_tasks)

        self.say("闭环演示：佐证材料、验收、公示与异议、销号、调度、督办、回头看……")
        from .loop import drive_loop

        drive_loop(actor=self.actor, later=self.later, liangping_plan=plan, rebounds=list(rebounds.values()))

        from .assessment_demo import load_assessment_demo
        from .internal_markers import plant_internal_markers

        load_assessment_demo(actor=self.actor, plan=plan, say=self.say)
        plant_internal_markers(actor=self.actor, plan=plan, say=self.say)
        from .integrity_demo import review_integrity_demo

        review_integrity_demo(actor=self.actor, say=self.say)  # last: it runs the checks over everything

        return {
            "regions": Region.objects.count(),
            "organizations": Organization.objects.count(),
            "users": len(ALL_DEMO_ACCOUNTS),
            "inspections": Inspection.objects.count(),
            "plans": Plan.objects.count(),
            "findings": Finding.objects.count(),
            "tasks": Task.objects.count(),
            "meetings": Meeting.objects.count(),
            "events": Event.objects.count(),
            "plan_id": plan.pk,
            "inspection_id": liangping.pk,
        }


def load_demo(*, stdout: Writer | None = None) -> dict[str, Any]:
    """Load the demo in one transaction and return counts. Refuses (DemoDataExists) when a demo account
    or the Liangping plan already exists. `stdout`, when given, receives one line per step."""
    started = time.monotonic()
    with transaction.atomic():
        if demo_present():
            raise DemoDataExists("演示数据已经载入过（已有演示账号或梁平区整改方案），不能重复载入。")
        summary = _Loader(stdout).run()
        from zhenggai.rectification.warnings import warnings_refresh_all

        warnings_refresh_all()  # statuses were set after creation: bring the stored warnings up to date
        summary["events"] = Event.objects.count()
    summary["seconds"] = round(time.monotonic() - started, 2)
    return summary
