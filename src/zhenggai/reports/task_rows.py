"""The rows of a dispatch table (调度表) read into tasks: which column plays which part, how rows group
into tasks, and every problem found on the way, with its row and column. Used by `task_import`.

Rules (DOMAIN §5):
- Headers are matched by name (`FIELD_ALIASES`), in any order. 整改时限 may appear twice: the one before
  整改措施 is the task's, the one after it the measure's; a single one after the measures (closure-notice
  shape) is the measures', and the task's is the latest of theirs.
- One 责任单位-like column is the measures'; with a second one (整改实施主体), that one is the task's.
- A non-blank 序号 starts a task; a blank or merged one continues the task above; the same 序号 again
  continues its task when the task cells agree and is a problem when they do not.
- A blank measure 整改时限 is the task's; a blank measure 责任单位 is the one above (a merged cell).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization
from zhenggai.inspections.models import MeasureArea, Plan
from zhenggai.rectification.deadlines import DeadlineError, ParsedDeadline, deadline_wording, parse_deadline
from zhenggai.rectification.services import MeasureData, TaskData
from zhenggai.rectification.workflow import Category, DeadlineKind

from .tables import Column, Header, Sheet, cell_text, filled, header_key, is_blank, split_names
from .task_export import deadline_cell

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("序号", "任务序号", "编号", "任务编号"),
    "title": ("存在问题", "督察反馈问题", "整改问题", "存在的问题", "反馈问题", "问题", "主要问题", "问题描述"),
    "lead_unit": ("牵头单位", "牵头部门", "牵头责任单位"),
    "goal": ("整改目标", "目标任务", "目标"),
    "deadline": ("整改时限", "完成时限", "整改期限", "完成时间", "时限"),
    "measure": ("整改措施", "重点措施", "具体措施", "措施"),
    "units": ("责任单位", "整改责任单位", "责任部门"),
    "implementing": ("整改实施主体", "实施主体", "整改主体"),
    "stage": ("整改阶段",),
    "progress": ("整改进度描述", "整改进展", "整改进展情况", "进展情况", "整改进度"),
    "closed": ("是否销号",),
    "remarks": ("备注",),
    "cooperating": ("配合单位", "配合部门"),
    "leader": ("责任领导", "牵头领导", "分管领导"),
    "acceptance": ("验收单位", "验收部门"),
    "category": ("九治类别", "类别", "九治"),
    "measure_area": ("整改举措领域", "举措领域"),
    "due_year": ("完成年度",),
    "deadline_date": ("完成日期", "整改完成日期"),
    "milestones": ("阶段目标",),
}
REQUIRED_LABELS = {"number": "序号", "title": "存在问题", "deadline": "整改时限", "measure": "整改措施", "units": "责任单位"}
# Task-level columns whose cells must agree over all rows of a task.
TASK_FIELDS = ("title", "lead_unit", "goal", "task_deadline", "implementing", "cooperating", "leader", "acceptance",
               "category", "measure_area", "due_year", "deadline_date", "milestones")
TEXT_LIMITS = {"leader": 100, "task_deadline": 100, "measure_deadline": 100}


@dataclass(frozen=True)
class Problem:
    """One reason to refuse the file: the spreadsheet row (1-based; None for the file as a whole), the
    column's header and the reason, in Chinese."""

    row: int | None
    column: str
    message: str
    letter: str = ""

    def __str__(self) -> str:
        where = []
        if self.row:
            where.append(_("第 %(row)s 行") % {"row": self.row})
        if self.column:
            where.append(f"「{self.column}」" + (f"（{self.letter} 列）" if self.letter else ""))
        return f"{'，'.join(where)}：{self.message}" if where else str(self.message)


@dataclass
class ImportedMeasure:
    number: int
    text: str
    unit_names: list[str]
    deadline: dt.date | None
    deadline_text: str
    deadline_kind: str
    row: int
    raw_deadline: str = ""


@dataclass
class ImportedTask:
    """One task as read from the file; units are still names (resolved by `task_import_apply`)."""

    number: int
    title: str
    row: int
    last_row: int
    goal: str = ""
    lead_unit: str | None = None
    implementing_units: list[str] = field(default_factory=list)
    cooperating_units: list[str] = field(default_factory=list)
    responsible_leader: str = ""
    acceptance_unit: str | None = None
    deadline: dt.date | None = None
    deadline_text: str = ""
    deadline_kind: str = ""
    due_year: int | None = None
    category: str = ""
    measure_area: MeasureArea | None = None
    remarks: str = ""
    measures: list[ImportedMeasure] = field(default_factory=list)
    milestones: list[tuple[dt.date, str, int]] = field(default_factory=list)

    @property
    def unit_names(self) -> list[str]:
        names = [*self.implementing_units, *self.cooperating_units]
        names += [n for n in (self.lead_unit, self.acceptance_unit) if n]
        names += [n for m in self.measures for n in m.unit_names]
        return list(dict.fromkeys(names))

    def _deadline_text(self, existing: TaskData | None) -> str:
        """The existing wording stays when the file shows the very words the ledger writes for it (the
        ledger rewrites wordings that do not read back as their deadline)."""
        if existing is not None and (self.deadline, self.deadline_kind) == (existing.deadline, existing.deadline_kind):
            if self.deadline_text == deadline_cell(existing.deadline, existing.deadline_kind, existing.deadline_text):
                return existing.deadline_text
        return self.deadline_text

    @staticmethod
    def _measure_data(measure: ImportedMeasure, units: dict[str, Organization], existing: TaskData | None) -> MeasureData:
        """A measure cell showing what the ledger writes for the existing measure (blank for one without a
        deadline of its own) keeps the existing deadline as it is."""
        deadline = (measure.deadline, measure.deadline_text, measure.deadline_kind)
        old = next((m for m in existing.measures if m.number == measure.number), None) if existing else None
        if old is not None and measure.raw_deadline == deadline_wording(old.deadline, old.deadline_kind, old.deadline_text):
            deadline = (old.deadline, old.deadline_text, old.deadline_kind)
        return MeasureData(number=measure.number, text=measure.text, units=[units[n] for n in measure.unit_names],
                           deadline=deadline[0], deadline_text=deadline[1], deadline_kind=deadline[2])

    def task_data(self, units: dict[str, Organization], *, present: set[str], existing: TaskData | None) -> TaskData:
        """The TaskData to save. Columns the file lacks keep the existing task's values (完成年度 follows a
        changed deadline); the region and the sample flag are not in the table and stay as they are; so
        do deadline wordings that the ledger had to rewrite (see `deadline_cell`)."""

        def keep(name: str, value: Any, attr: str) -> Any:
            return getattr(existing, attr) if name not in present and existing is not None else value

        implementing = [units[n] for n in self.implementing_units]
        lead = units[self.lead_unit] if self.lead_unit else (implementing[0] if implementing else None)
        due_year = self.due_year
        if "due_year" not in present:
            if existing is not None and (existing.deadline == self.deadline or self.deadline is None):
                due_year = existing.due_year
            else:
                due_year = self.deadline.year if self.deadline else None
        return TaskData(
            number=self.number,
            title=self.title,
            implementing_units=implementing,
            goal=keep("goal", self.goal, "goal"),
            lead_unit=keep("lead_unit", lead, "lead_unit"),
            cooperating_units=keep("cooperating", [units[n] for n in self.cooperating_units], "cooperating_units"),
            responsible_leader=keep("leader", self.responsible_leader, "responsible_leader"),
            acceptance_unit=keep("acceptance", units[self.acceptance_unit] if self.acceptance_unit else None,
                                 "acceptance_unit"),
            deadline=self.deadline,
            deadline_text=self._deadline_text(existing),
            deadline_kind=self.deadline_kind,
            due_year=due_year,
            category=keep("category", self.category, "category"),
            measure_area=keep("measure_area", self.measure_area, "measure_area"),
            region=existing.region if existing is not None else None,
            remarks=keep("remarks", self.remarks, "remarks"),
            is_sample=existing.is_sample if existing is not None else False,
            measures=[self._measure_data(m, units, existing) for m in self.measures],
            milestones=keep("milestones", self.milestones, "milestones"),
        )


_MILESTONE_RE = re.compile(r"^(?P<date>\S+?)[\s:：，,]+(?P<title>.+?)\s*(?:[（(]\s*(?P<percent>\d{1,3})\s*[%％]\s*[)）])?$")


# --- columns and rows ---------------------------------------------------------------------------


@dataclass
class Roles:
    """Which column plays which part, once the header is known."""

    columns: dict[str, Column]
    derive_task_deadline: bool = False


def column_roles(header: Header) -> tuple[Roles | None, list[Problem]]:
    columns: dict[str, Column] = {}
    for name in FIELD_ALIASES:
        if name not in ("deadline", "units", "implementing"):
            found = header.first(name)
            if found:
                columns[name] = found
    measure = columns.get("measure")
    measure_at = measure.index if measure else 10**6
    deadlines = header.all("deadline")
    roles = Roles(columns)
    if len(deadlines) >= 2:
        columns["task_deadline"], columns["measure_deadline"] = deadlines[0], deadlines[1]
    elif deadlines and deadlines[0].index < measure_at:
        columns["task_deadline"] = deadlines[0]
    elif deadlines:
        # A single 完成时限 after the measures (closure-notice shape): it is the measures'; the task's
        # is the latest of them.
        columns["measure_deadline"] = deadlines[0]
        roles.derive_task_deadline = True
    named_units, named_implementing = header.all("units"), header.all("implementing")
    unit_columns = sorted(named_units + named_implementing, key=lambda c: c.index)
    if named_units and named_implementing:
        columns["implementing"], columns["units"] = named_implementing[0], named_units[0]
    elif len(unit_columns) >= 2:
        columns["implementing"], columns["units"] = unit_columns[0], unit_columns[1]
    elif unit_columns:
        columns["units"] = unit_columns[0]

    missing = [label for name, label in REQUIRED_LABELS.items()
               if not (columns.get(name) or (name == "deadline" and deadlines))]
    if missing:
        row = header.last_row + 1
        message = _("缺少必需的列：%(missing)s。表头（第 %(row)s 行）中找到的列：%(found)s。") % {
            "missing": "、".join(missing), "row": row, "found": "、".join(header.labels) or _("（无）")}
        return None, [Problem(row, "", message)]
    return roles, []


def _parse_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = cell_text(value).rstrip(".、")
    return int(text) if text.isdigit() else None


class RowParser:
    """Reads the rows under the header of one sheet into tasks, collecting every problem on the way."""

    def __init__(self, sheet: Sheet, header: Header, roles: Roles, plan: Plan) -> None:
        self.sheet = sheet
        self.header = header
        self.roles = roles
        self.cols = roles.columns
        self.plan = plan
        self.problems: list[Problem] = []
        with translation.override("zh-hans"):
            self.categories = {str(label): value for value, label in Category.choices}
        self.categories.update({value: value for value in Category.values})
        self.areas = {header_key(a.title): a for a in plan.measure_areas.all()}
        self.areas.update({str(a.number): a for a in plan.measure_areas.all()})

    def problem(self, row: int, name: str, message: str) -> None:
        column = self.cols.get(name)
        self.problems.append(Problem(row + 1, column.label if column else "", message, column.letter if column else ""))

    def cell(self, grid_row: list[Any], name: str) -> Any:
        column = self.cols.get(name)
        if column is None or column.index >= len(grid_row):
            return None
        return grid_row[column.index]

    def groups(self) -> list[dict[str, Any]]:
        """Rows grouped into tasks: a 序号 starts a task; blank (or merged) 序号 continues it."""
        grid, continued = filled(self.sheet, vertical_only=True)
        number_aliases = {header_key(a) for a in FIELD_ALIASES["number"]}
        groups: list[dict[str, Any]] = []
        by_number: dict[int, dict[str, Any]] = {}
        current: dict[str, Any] | None = None
        skipping = False
        measure_col = self.cols["measure"].index
        number_col = self.cols["number"].index
        for r in range(self.header.last_row + 1, len(grid)):
            row = grid[r]
            values = [v for v in row if not is_blank(v)]
            if not values:
                continue
            raw_number = row[number_col] if number_col < len(row) else None
            if header_key(raw_number) in number_aliases:
                continue  # the header repeated (printed tables repeat it on every page)
            if len(values) == 1 and not is_blank(raw_number):
                continue  # a heading such as "一、大气污染防治", a note under the table, an unused numbered row
            if not is_blank(raw_number) and (r, number_col) not in continued:
                number = _parse_int(raw_number)
                if number is None or number <= 0:
                    self.problem(r, "number", _("序号“%(value)s”不是正整数。") % {"value": cell_text(raw_number)})
                    current, skipping = None, True
                    continue
                skipping = False
                if current is not None and number == current["number"]:
                    pass  # the number repeated on every row of the task
                elif number in by_number:
                    current = by_number[number]
                    current["duplicate_rows"].add(r)
                else:
                    current = {"number": number, "row": r, "last_row": r, "values": {}, "rows": [],
                               "remarks": [], "duplicate_rows": set()}
                    groups.append(current)
                    by_number[number] = current
            elif current is None:
                if not skipping:
                    self.problem(r, "number", _("缺少序号：该行之前没有任务，无法判断它属于哪个任务。"))
                    skipping = True
                continue
            current["last_row"] = max(current["last_row"], r)
            self._task_cells(current, r, row)
            measure_continued = (r, measure_col) in continued
            current["rows"].append((r, row, measure_continued))
        return groups

    def _task_cells(self, group: dict[str, Any], r: int, row: list[Any]) -> None:
        for name in TASK_FIELDS:
            value = self.cell(row, name)
            if is_blank(value):
                continue
            known = group["values"].get(name)
            if known is None:
                group["values"][name] = (value, r)
            elif _comparable(known[0]) != _comparable(value):
                if r in group["duplicate_rows"]:
                    message = _("序号 %(n)s 与第 %(row)s 行的任务重复，且内容不一致。") % {
                        "n": group["number"], "row": known[1] + 1}
                else:
                    message = _("与同一任务（序号 %(n)s，第 %(row)s 行）的内容不一致；如果这是新任务，请填写序号。") % {
                        "n": group["number"], "row": known[1] + 1}
                self.problem(r, name, message)
        remark = cell_text(self.cell(row, "remarks"))
        if remark and remark not in group["remarks"]:
            group["remarks"].append(remark)

    def deadline(self, r: int, name: str, value: Any) -> ParsedDeadline | None:
        try:
            parsed = parse_deadline(value)
        except DeadlineError as exc:
            self.problem(r, name, str(exc))
            return None
        if len(parsed.text) > TEXT_LIMITS[name]:
            self.problem(r, name, _("整改时限原文过长（最多 %(n)s 字）。") % {"n": TEXT_LIMITS[name]})
            return None
        return parsed

    def milestones(self, value: Any, r: int) -> list[tuple[dt.date, str, int]]:
        """阶段目标, one a line: a date, the target, optionally the share due by then: "2025年6月30日 完成排查（50%）"."""
        found = []
        for line in cell_text(value).split("\n"):
            if not line.strip():
                continue
            match = _MILESTONE_RE.match(line.strip())
            when = None
            if match:
                try:
                    when = parse_deadline(match.group("date")).date
                except DeadlineError:
                    when = None
            percent = int(match.group("percent") or 0) if match else 0
            if match is None or when is None or percent > 100 or len(match.group("title")) > 200:
                message = _("阶段目标“%(line)s”应写成“日期 目标（百分比）”，如“2025年6月30日 完成排查（50%%）”，每行一个。")
                self.problem(r, "milestones", message % {"line": line.strip()})
                continue
            found.append((when, match.group("title"), percent))
        return found

    def deadline_date(self, values: dict[str, tuple[Any, int]]) -> dt.date | None:
        """完成日期: a date cell, or text naming one day."""
        if "deadline_date" not in values:
            return None
        value, r = values["deadline_date"]
        try:
            parsed = parse_deadline(value)
        except DeadlineError:
            parsed = None
        if parsed is None or parsed.date is None or parsed.kind != DeadlineKind.BY_DATE:
            self.problem(r, "deadline_date", _("完成日期“%(value)s”不是有效的日期。") % {"value": cell_text(value)})
            return None
        return parsed.date

    def single_unit(self, group: dict[str, Any], name: str) -> str | None:
        value, r = group["values"].get(name, (None, None))
        names = split_names(value)
        if len(names) > 1:
            self.problem(r, name, _("只能填写一个单位，这里有 %(n)s 个：%(names)s。") % {
                "n": len(names), "names": "、".join(names)})
        return names[0] if names else None

    def task(self, group: dict[str, Any]) -> tuple[ImportedTask, bool]:
        """The task of a group of rows, and whether it is free of problems."""
        before = len(self.problems)
        first = group["row"]
        values = group["values"]

        def text(name: str) -> str:
            return cell_text(values[name][0]) if name in values else ""

        task = ImportedTask(number=group["number"], title=text("title"), row=first + 1, last_row=group["last_row"] + 1)
        if not task.title:
            self.problem(first, "title", _("存在问题不能为空。"))
        task.goal = text("goal")
        task.responsible_leader = text("leader")
        if len(task.responsible_leader) > TEXT_LIMITS["leader"]:
            self.problem(values["leader"][1], "leader", _("责任领导过长（最多 %(n)s 字）。") % {"n": TEXT_LIMITS["leader"]})
        task.remarks = "\n".join(group["remarks"])
        task.lead_unit = self.single_unit(group, "lead_unit")
        task.acceptance_unit = self.single_unit(group, "acceptance")
        task.cooperating_units = split_names(values.get("cooperating", (None,))[0])
        if "category" in values:
            task.category = self.categories.get(text("category"), "")
            if not task.category:
                self.problem(values["category"][1], "category", _("九治类别“%(value)s”无效，应为：%(allowed)s。") % {
                    "value": text("category"), "allowed": "、".join(k for k in self.categories if not k.isascii())})
        if "measure_area" in values:
            task.measure_area = self.areas.get(header_key(values["measure_area"][0]))
            if task.measure_area is None:
                self.problem(values["measure_area"][1], "measure_area", _("方案中没有整改举措领域“%(value)s”。") % {
                    "value": text("measure_area")})
        if "due_year" in values:
            task.due_year = _parse_int(values["due_year"][0])
            if task.due_year is None or not 1950 <= task.due_year <= 2199:
                self.problem(values["due_year"][1], "due_year", _("完成年度“%(value)s”不是有效的年份。") % {
                    "value": text("due_year")})

        if "milestones" in values:
            task.milestones = self.milestones(*values["milestones"])

        task_deadline: ParsedDeadline | None = None
        date = self.deadline_date(values)
        if "task_deadline" in values:
            task_deadline = self.deadline(values["task_deadline"][1], "task_deadline", values["task_deadline"][0])
            if task_deadline is not None and task_deadline.date is None and date is not None:
                task_deadline = task_deadline._replace(date=date)  # "立行立改、长期坚持" due on 完成日期
        elif date is not None:
            task_deadline = parse_deadline(date)
        elif not self.roles.derive_task_deadline:
            self.problem(first, "task_deadline", _("整改时限不能为空。"))

        implementing = split_names(values.get("implementing", (None,))[0])
        previous_units: list[str] = []
        for r, row, continued in group["rows"]:
            measure_text = cell_text(self.cell(row, "measure"))
            unit_names = split_names(self.cell(row, "units"))
            if not measure_text:  # a task row without measures may still name its units
                if "implementing" not in values:
                    implementing += [n for n in unit_names if n not in implementing]
                continue
            if continued and task.measures and task.measures[-1].text == measure_text:
                last = task.measures[-1]
                last.unit_names += [n for n in unit_names if n not in last.unit_names]
                continue
            if not unit_names:
                unit_names = list(previous_units or implementing)
            if not unit_names:
                self.problem(r, "units", _("责任单位不能为空。"))
            previous_units = unit_names
            raw_deadline = self.cell(row, "measure_deadline")
            if any((m.text, m.unit_names, m.raw_deadline) == (measure_text, unit_names, cell_text(raw_deadline))
                   for m in task.measures):
                continue  # the same row twice (a task pasted again under its repeated number)
            parsed = self.deadline(r, "measure_deadline", raw_deadline) if not is_blank(raw_deadline) else task_deadline
            task.measures.append(ImportedMeasure(
                number=len(task.measures) + 1, text=measure_text, unit_names=unit_names,
                deadline=parsed.date if parsed else None, deadline_text=parsed.text if parsed else "",
                deadline_kind=parsed.kind if parsed else "", row=r + 1, raw_deadline=cell_text(raw_deadline)))
            if "implementing" not in values:
                implementing += [n for n in unit_names if n not in implementing]
        task.implementing_units = implementing
        if not implementing:
            self.problem(first, "units", _("没有责任单位（整改实施主体）。"))

        if self.roles.derive_task_deadline:
            task_deadline = self._derived_deadline(task, first)
        if task_deadline is not None:
            task.deadline, task.deadline_kind, task.deadline_text = task_deadline
            for measure in task.measures:
                if not measure.deadline_kind:  # the measure's deadline was blank
                    measure.deadline, measure.deadline_kind, measure.deadline_text = task_deadline
        return task, len(self.problems) == before

    def _derived_deadline(self, task: ImportedTask, first: int) -> ParsedDeadline | None:
        dated = [m for m in task.measures if m.deadline_kind]
        if not dated:
            self.problem(first, "measure_deadline", _("整改时限不能为空。"))
            return None
        latest = max(dated, key=lambda m: m.deadline or dt.date.min)
        return ParsedDeadline(latest.deadline, latest.deadline_kind, latest.deadline_text)


def _comparable(value: Any) -> str:
    if isinstance(value, dt.datetime):
        value = value.date()
    return cell_text(value.isoformat() if isinstance(value, dt.date) else value)

