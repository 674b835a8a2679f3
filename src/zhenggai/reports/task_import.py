"""Importing rectification tasks from the dispatch table (调度表, DOMAIN §5).

    序号 | 存在问题 | 牵头单位 | 整改目标 | 整改时限 | 整改措施 | 责任单位 | 整改时限 | 整改阶段 | 整改进度描述 | 是否销号 | 备注

A task spans several rows, one per measure; merged or blank task cells continue the task above.
整改时限 appears twice: the one before 整改措施 is the task's, the one after it the measure's (blank →
the task's). The task's implementing units (整改实施主体) are the union of its measures' 责任单位, unless
the table has a task-level 整改实施主体 column as well. 牵头单位 is the lead unit (blank → the first
implementing unit). Optional columns: 配合单位, 责任领导, 验收单位, 九治类别, 整改举措领域, 完成年度, 完成日期
(the date of a 整改时限 worded without one), 阶段目标; a column that the file does not have leaves an
existing task's value as it is. The rows themselves are read in `task_rows`.

Two steps, so that the command and the upload page behave the same:
- `task_import_parse` reads the file and checks every row, collecting every problem (row, column,
  reason) instead of stopping at the first; it writes nothing.
- `task_import_apply` writes all tasks in one transaction, or nothing at all when any problem is left:
  new tasks in batches through `task_bulk_create`, existing ones through `task_save` (both check the
  actor's right and write one event per task, as creating them one by one would). Tasks are keyed
  by (plan, 序号), so importing the same file again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization
from zhenggai.accounts.policies import CHANGE, CREATE, MANAGE, user_can
from zhenggai.core.errors import DomainError, PermissionDenied, ValidationFailed
from zhenggai.core.upload_guard import UploadRefused, check_spreadsheet_upload
from zhenggai.inspections.models import Plan
from zhenggai.rectification.bulk import BATCH_SIZE, task_bulk_create, task_data_validate
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import MeasureData, TaskData, task_save, units_by_name

from .tables import Header, Sheet, TableError, filled, find_header, header_preview, read_sheets, split_names
from .task_rows import (
    FIELD_ALIASES,
    REQUIRED_LABELS,
    ImportedMeasure,
    ImportedTask,
    Problem,
    RowParser,
    column_roles,
)


@dataclass
class ImportResult:
    tasks: list[ImportedTask]
    problems: list[Problem]
    units: dict[str, Organization] = field(default_factory=dict)
    unknown_units: dict[str, list[Problem]] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)
    headers: list[str] = field(default_factory=list)
    sheet: str = ""

    def problems_for(self, *, create_units: bool = False) -> list[Problem]:
        """Every problem, unknown units included unless they are to be created, in spreadsheet order."""
        problems = list(self.problems)
        if not create_units:
            problems += [p for places in self.unknown_units.values() for p in places]
        return sorted(set(problems), key=lambda p: (p.row or 0, len(p.letter), p.letter, p.message))

    def ok(self, *, create_units: bool = False) -> bool:
        return not self.problems_for(create_units=create_units)


@dataclass
class TaskOutcome:
    number: int
    title: str
    status: str  # created / updated / unchanged
    measures: int
    units: list[str]


@dataclass
class ImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    units_created: list[str] = field(default_factory=list)
    outcomes: list[TaskOutcome] = field(default_factory=list)
    dry_run: bool = False
    not_in_file: int = 0  # tasks of the plan that the file does not mention: left as they are


class ImportFailed(ValidationFailed):
    """The file has problems (or the services refused a task); nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(_("导入失败，未导入任何数据：共发现 %(n)s 个问题。") % {"n": len(problems)})




def _choose_sheet(sheets: list[Sheet]) -> tuple[Sheet, Header | None]:
    for sheet in sheets:
        header = find_header(sheet, FIELD_ALIASES)
        if header is not None and {"number", "measure"} <= header.fields:
            return sheet, header
    for sheet in sheets:
        header = find_header(sheet, FIELD_ALIASES)
        if header is not None:
            return sheet, header
    return sheets[0], None


def task_import_parse(path_or_fileobj: str | Path | IO[bytes] | bytes, *, filename: str, plan: Plan) -> ImportResult:
    """Read a dispatch table and check it against `plan` (its measure areas, the units of its region).
    Never raises for a bad file: every problem is in `result.problems` (unknown units apart, in
    `result.unknown_units`, because `--create-units` may create them)."""
    try:
        check_spreadsheet_upload(path_or_fileobj, filename=filename)  # a zip bomb is refused before expanding
        sheets = read_sheets(path_or_fileobj, filename=filename)
    except (TableError, UploadRefused) as error:
        return ImportResult(tasks=[], problems=[Problem(None, "", error.message)])
    sheet, header = _choose_sheet(sheets)
    if header is None:
        wanted = "、".join(REQUIRED_LABELS.values())
        found = "、".join(header_preview(sheet)) or _("（无）")
        message = _("没有找到表头：表头应包含 %(wanted)s 等列（可以在标题行之下）。前几行的内容是：%(found)s。") % {
            "wanted": wanted, "found": found}
        return ImportResult(tasks=[], problems=[Problem(None, "", message)], sheet=sheet.name)
    roles, problems = column_roles(header)
    result = ImportResult(tasks=[], problems=problems, headers=header.labels, sheet=sheet.name)
    if roles is None:
        return result
    result.present = set(roles.columns)

    parser = RowParser(sheet, header, roles, plan)
    groups = parser.groups()
    parsed = [parser.task(group) for group in groups]
    result.tasks = [task for task, valid in parsed if valid]
    result.problems += parser.problems
    if not groups and not parser.problems:
        result.problems.append(Problem(header.last_row + 1, "", _("表头之下没有任何任务数据。")))

    _resolve_units(result, parser, plan, [task for task, _valid in parsed])
    return result


def _resolve_units(result: ImportResult, parser: RowParser, plan: Plan, tasks: list[ImportedTask]) -> None:
    names = {n for task in tasks for n in task.unit_names}
    result.units = units_by_name(names, region=plan.inspection.target_region)
    unknown = names - set(result.units)
    if not unknown:
        return
    places: dict[str, list[Problem]] = {n: [] for n in sorted(unknown)}
    sheet_grid, _continued = filled(parser.sheet, vertical_only=True)
    for task in tasks:
        for r in range(task.row - 1, task.last_row):
            row = sheet_grid[r]
            for name in ("lead_unit", "implementing", "units", "cooperating", "acceptance"):
                missing = [n for n in split_names(parser.cell(row, name)) if n in unknown]
                if missing:
                    column = parser.cols[name]
                    problem = Problem(r + 1, column.label, _("系统中没有这些单位：%(names)s。") % {
                        "names": "、".join(missing)}, column.letter)
                    for n in missing:
                        if problem not in places[n]:
                            places[n].append(problem)
    result.unknown_units = places


# --- applying --------------------------------------------------------------------------------------


def _create_units(*, actor: Any, plan: Plan, names: Iterable[str]) -> dict[str, Organization]:
    from zhenggai.accounts.services import organization_save

    region = plan.inspection.target_region
    if not user_can(actor, MANAGE, Organization):
        raise PermissionDenied(_("您无权新建单位（需要系统管理员角色）：请先在“单位”中添加这些单位。"))
    parent = Organization.objects.filter(region=region, kind=Organization.Kind.GOVERNMENT).order_by("path").first()
    created = {}
    for name in names:
        org = Organization(name=name, kind=Organization.Kind.DEPARTMENT, parent=parent, region=region)
        created[name] = organization_save(actor=actor, organization=org)
    return created


def _kept_data(task: Task) -> TaskData:
    """What an existing task keeps when the file lacks a column (and its deadlines, to keep wordings the
    ledger had to rewrite); the implementing units and the measures' text and units come from the file."""
    return TaskData(
        number=task.number, title=task.title, implementing_units=(), goal=task.goal, lead_unit=task.lead_unit,
        cooperating_units=list(task.cooperating_units.all()), responsible_leader=task.responsible_leader,
        acceptance_unit=task.acceptance_unit, deadline=task.deadline, deadline_text=task.deadline_text,
        deadline_kind=task.deadline_kind, due_year=task.due_year, category=task.category,
        measure_area=task.measure_area, region=task.region, remarks=task.remarks, is_sample=task.is_sample,
        milestones=[(m.date, m.title, m.percent) for m in sorted(task.milestones.all(), key=lambda m: (m.date, m.pk))],
        measures=[MeasureData(number=m.number, text=m.text, deadline=m.deadline, deadline_text=m.deadline_text,
                              deadline_kind=m.deadline_kind) for m in task.measures.all()],
    )


def task_import_apply(
    *,
    actor: Any,
    plan: Plan,
    result: ImportResult,
    dry_run: bool = False,
    create_units: bool = False,
    progress: Callable[[Iterable[ImportedTask]], Iterable[ImportedTask]] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportCounts:
    """Write the parsed tasks into `plan`, all or nothing. Raises `ImportFailed` (with every problem)
    when the file has problems or a service refuses a task, `PermissionDenied` when the actor may not
    change the plan. With `dry_run` everything is done and then rolled back, so the counts and
    outcomes are exactly what a real import would do. New tasks are written `batch_size` at a time;
    `progress` wraps the tasks and is advanced as they are written."""
    problems = result.problems_for(create_units=create_units)
    if problems:
        raise ImportFailed(problems)
    if not user_can(actor, CHANGE, plan):
        raise PermissionDenied()
    counts = ImportCounts(dry_run=dry_run)
    with transaction.atomic():
        units = dict(result.units)
        if create_units and result.unknown_units:
            units.update(_create_units(actor=actor, plan=plan, names=result.unknown_units))
            counts.units_created = sorted(result.unknown_units)
        numbers = [t.number for t in result.tasks]
        existing = {
            t.number: t
            for t in Task.objects.filter(plan=plan, number__in=numbers)
            .select_related("lead_unit", "acceptance_unit", "measure_area", "region")
            .prefetch_related("cooperating_units", "milestones", "measures")
        }
        counts.not_in_file = Task.objects.filter(plan=plan).exclude(number__in=numbers).count()
        failures: list[Problem] = []
        new: list[TaskData] = []  # created in batches (bulk), in the file's order
        # the progress bar counts tasks written: a new task counts once its batch is written
        ticks = iter(progress(result.tasks)) if progress else iter(result.tasks)
        next(ticks, None)
        waiting = 0

        def written() -> None:
            nonlocal waiting
            for _i in range(waiting):
                next(ticks, None)
            waiting = 0

        def create_new() -> None:
            if new and not user_can(actor, CREATE, Task):
                raise PermissionDenied()
            if new and not failures:  # after a failure nothing will be kept: only look for more problems
                task_bulk_create(actor=actor, plan=plan, items=new, verb="task.created", batch_size=batch_size)
            new.clear()
            written()

        for item in result.tasks:
            waiting += 1
            old = existing.get(item.number)
            data = item.task_data(units, present=result.present, existing=_kept_data(old) if old else None)
            try:
                if old is None:
                    task_data_validate(plan=plan, data=data)
                    new.append(data)
                    status = "created"
                else:
                    _task, status = task_save(actor=actor, plan=plan, data=data, verb_prefix="task")
            except PermissionDenied:
                raise
            except DomainError as error:
                failures.append(Problem(item.row, "", _("序号 %(n)s：%(reason)s") % {
                    "n": item.number, "reason": error.message}))
                continue
            setattr(counts, status, getattr(counts, status) + 1)
            counts.outcomes.append(TaskOutcome(item.number, item.title, status, len(data.measures),
                                               [u.name for u in data.implementing_units]))
            if len(new) >= batch_size:
                create_new()
            elif not new:
                written()
        create_new()
        for _rest in ticks:  # ends the progress bar
            pass
        if failures:
            raise ImportFailed(failures)
        if dry_run:
            transaction.set_rollback(True)
    return counts


def problems_text(problems: Iterable[Problem]) -> str:
    return "\n".join(f"  {p}" for p in problems)


__all__ = [
    "ImportCounts",
    "ImportFailed",
    "ImportResult",
    "ImportedMeasure",
    "ImportedTask",
    "Problem",
    "TaskOutcome",
    "problems_text",
    "task_import_apply",
    "task_import_parse",
]
