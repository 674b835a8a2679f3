"""Importing complaint cases (群众信访举报件, DOMAIN §4) from the tables an inspection hands over or publishes.

    序号 | 受理编号 | 交办问题基本情况 | 行政区域 | 污染类型 | 调查核实情况 | 是否属实 | 处理和整改情况 | 是否办结 | 责任人被处理情况

and its variants: 问题类型 for 污染类型, an extra 办结目标, 问责情况 for 责任人被处理情况 and an extra 备注, the
region column as 所属新城 / 所属区县 / 区县 / 所属区域 / 行政区划, traditional characters, title rows above the
header. Files: .xlsx (.xls), .csv (UTF-8 or GB18030) and saved web pages (.html/.htm) holding the table.

Rules:
- Required columns: 受理编号, 交办问题基本情况, 行政区域, 污染类型 (or 问题类型); every row needs a value in each.
- 是否属实: 属实 / 基本属实 / 部分属实 / 不属实, or blank (not investigated yet). 是否办结: 已办结 / 阶段性办结 /
  未办结 (done / stage_done / investigating), or blank (a new case is then 已交办).
- 行政区域 is matched by name to a region of the inspection's target region (the region itself included,
  also without its 镇/街道/乡 suffix or with the district in front); no match keeps the text only.
- 污染类型: see `types.split_pollution_types`; an unknown word is a problem.
- Cases are keyed by their 受理编号 without the priority mark, within the inspection: importing the same
  file again changes nothing. A blank optional cell, or an optional column the file lacks, leaves what is
  recorded as it is (a later table need not repeat what an earlier one said).

Two steps, as for tasks: `complaint_import_parse` reads and checks the file and writes nothing, collecting
every problem (row, column, reason); `complaint_import_apply` writes everything in one transaction through
`complaint_import_save`, or nothing when there is any problem.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Region, Role
from zhenggai.accounts.policies import is_system_actor, scope_for, user_has_role
from zhenggai.core.errors import PermissionDenied, ValidationFailed
from zhenggai.core.events import diff, event_record
from zhenggai.core.search import search_document
from zhenggai.core.upload_guard import UploadRefused, check_spreadsheet_upload
from zhenggai.inspections.models import Inspection
from zhenggai.reports.tables import (
    CSV_ENCODINGS,
    SPREADSHEET_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    Column,
    Header,
    Sheet,
    TableError,
    cell_text,
    filled,
    find_header,
    header_preview,
    is_blank,
    read_bytes,
    read_sheets,
)
from zhenggai.reports.task_rows import Problem

from .models import Complaint, ComplaintStatus, HandoverBatch, Truthfulness
from .numbers import ParsedNumber, parse_acceptance_number
from .types import (
    KNOWN_WORDS,
    pollution_type_labels,
    simplified_key,
    split_pollution_types,
    traditional_variants,
)

HTML_EXTENSIONS = (".html", ".htm")
IMPORT_EXTENSIONS = (*SUPPORTED_EXTENSIONS, *HTML_EXTENSIONS)
DEFAULT_REPLY_DAYS = 10

FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    name: traditional_variants(*aliases)
    for name, aliases in {
        "sequence": ("序号",),
        "number": ("受理编号", "信访编号", "交办编号", "举报编号", "受理号"),
        "summary": ("交办问题基本情况", "交办问题", "问题基本情况", "信访问题基本情况", "举报问题基本情况", "反映问题",
                    "群众反映问题", "信访内容", "举报内容"),
        "region": ("行政区域", "所属新城", "所属区县", "区县", "所属区域", "行政区划", "所在区域", "所属地区", "所在地区"),
        "types": ("污染类型", "问题类型", "污染类别", "问题类别"),
        "investigation": ("调查核实情况", "调查核实结果", "核查情况", "调查情况", "核实情况"),
        "truthfulness": ("是否属实",),
        "handling_goal": ("办结目标",),
        "handling": ("处理和整改情况", "处理整改情况", "处理及整改情况", "整改情况", "处理情况"),
        "status": ("是否办结", "办结情况"),
        "accountability": ("责任人被处理情况", "问责情况", "责任追究情况", "责任人处理情况"),
        "remarks": ("备注",),
    }.items()
}
REQUIRED_FIELDS = ("number", "summary", "region", "types")


def _required_labels() -> dict[str, str]:
    return {"number": _("受理编号"), "summary": _("交办问题基本情况"), "region": _("行政区域"), "types": _("污染类型")}


TRUTH_VALUES = {
    "属实": Truthfulness.TRUE.value,
    "基本属实": Truthfulness.MOSTLY_TRUE.value,
    "部分属实": Truthfulness.PARTLY_TRUE.value,
    "不属实": Truthfulness.FALSE.value,
}
STATUS_VALUES = {
    "已办结": ComplaintStatus.DONE.value,
    "阶段性办结": ComplaintStatus.STAGE_DONE.value,
    "未办结": ComplaintStatus.INVESTIGATING.value,
}
# optional text columns → model fields; None in a row means "not given" (column missing or cell blank)
TEXT_FIELDS = ("investigation", "handling_goal", "handling", "accountability", "remarks")
LIMITS = {"number": 60, "region": 100, "types": 100}


# --- reading web pages ---------------------------------------------------------------------------------


@dataclass
class _Cell:
    colspan: int
    rowspan: int
    parts: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [" ".join(line.split()) for line in "".join(self.parts).split("\n")]
        return "\n".join(line for line in lines if line)


@dataclass
class _Table:
    rows: list[list[_Cell]] = field(default_factory=list)
    row: list[_Cell] | None = None
    cell: _Cell | None = None

    def end_cell(self) -> None:
        if self.cell is not None:
            if self.row is None:
                self.row = []
            self.row.append(self.cell)
            self.cell = None

    def end_row(self) -> None:
        self.end_cell()
        if self.row is not None:
            self.rows.append(self.row)
            self.row = None


def _span(value: str | None, limit: int) -> int:
    text = (value or "").strip()
    return max(1, min(int(text), limit)) if text.isdigit() else 1


class _TableReader(HTMLParser):
    """The tables of a page, in document order; a table inside a cell is a table of its own. <br> and the
    ends of block elements are line breaks; other whitespace (and &nbsp;) is one space."""

    BLOCKS = frozenset({"p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self._open: list[_Table] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            table = _Table()
            self.tables.append(table)
            self._open.append(table)
        elif not self._open:
            return
        elif tag == "tr":
            self._open[-1].end_row()
            self._open[-1].row = []
        elif tag in ("td", "th"):
            table = self._open[-1]
            table.end_cell()
            values = dict(attrs)
            table.cell = _Cell(_span(values.get("colspan"), 100), _span(values.get("rowspan"), 1000))
        elif tag == "br" or tag in self.BLOCKS:
            self._newline()

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif not self._open:
            return
        elif tag == "table":
            self._open.pop().end_row()
        elif tag == "tr":
            self._open[-1].end_row()
        elif tag in ("td", "th"):
            self._open[-1].end_cell()
        elif tag in self.BLOCKS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._skip or not self._open or self._open[-1].cell is None:
            return
        self._open[-1].cell.parts.append(data.replace("\xa0", " ").replace("\u3000", " ").replace("\n", " "))

    def close(self) -> None:
        super().close()
        for table in self._open:  # tags left open at the end of the page
            table.end_row()
        self._open = []

    def _newline(self) -> None:
        if self._open and self._open[-1].cell is not None:
            self._open[-1].cell.parts.append("\n")


@dataclass
class PageTable(Sheet):
    """A table of a web page: its columns have no letters."""


def _table_sheet(table: _Table, name: str) -> Sheet:
    """A table as a grid; row and column spans become merged ranges (their value in the first cell)."""
    values: dict[tuple[int, int], str] = {}
    taken: set[tuple[int, int]] = set()
    merged: list[tuple[int, int, int, int]] = []
    for r, cells in enumerate(table.rows):
        c = 0
        for cell in cells:
            while (r, c) in taken:
                c += 1
            values[(r, c)] = cell.text()
            taken.update((r + dr, c + dc) for dr in range(cell.rowspan) for dc in range(cell.colspan))
            if cell.colspan > 1 or cell.rowspan > 1:
                merged.append((r, c, r + cell.rowspan - 1, c + cell.colspan - 1))
            c += cell.colspan
    height = max([len(table.rows)] + [r + 1 for r, _c in taken])
    width = max([c + 1 for _r, c in taken], default=0)
    rows: list[list[Any]] = [[values.get((r, c)) for c in range(width)] for r in range(height)]
    return PageTable(name=name, rows=rows, merged=merged)


_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)


def _decode_html(data: bytes) -> str:
    if data[:3] == b"\xef\xbb\xbf":
        return data[3:].decode("utf-8", errors="replace")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    declared = _META_CHARSET.search(data[:8192])
    encodings: list[str] = []
    if declared:
        name = declared.group(1).decode("ascii").lower()
        encodings.append("gb18030" if name in ("gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936") else name)
    encodings += [e for e in CSV_ENCODINGS if e not in encodings]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    raise TableError(_("无法识别网页的编码：请在浏览器中另存为 UTF-8 编码的网页，或另存为 .xlsx 文件。"))


def read_html_sheets(data: bytes) -> list[Sheet]:
    """Every table of a saved web page as a `Sheet` (named 表格1, 表格2…)."""
    reader = _TableReader()
    reader.feed(_decode_html(data))
    reader.close()
    sheets = [_table_sheet(t, _("表格%(n)s") % {"n": i}) for i, t in enumerate(reader.tables, start=1) if t.rows]
    if not sheets:
        raise TableError(_("网页中没有表格：请保存包含信访件表格的网页，或把表格另存为 .xlsx 或 .csv 文件。"))
    if not any(not is_blank(v) for sheet in sheets for row in sheet.rows for v in row):
        raise TableError(_("文件中没有任何内容。"))
    return sheets


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<") and b"<table" in data[:2_000_000].lower()


def read_complaint_sheets(source: str | Path | IO[bytes] | bytes, *, filename: str) -> list[Sheet]:
    """The tables of a complaint file: a spreadsheet or CSV (read by `reports.tables.read_sheets`) or a web
    page (also one saved with an .xls/.xlsx name, as some systems export). Raises `TableError`."""
    extension = Path(filename).suffix.lower()
    if extension not in IMPORT_EXTENSIONS:
        raise TableError(_("不支持的文件类型“%(ext)s”：请上传 Excel（.xlsx）、CSV（.csv）或保存的网页（.html）。") % {
            "ext": extension or filename})
    try:
        data = read_bytes(source)
    except OSError as exc:
        raise TableError(_("无法读取文件：%(error)s") % {"error": exc.strerror or exc}) from exc
    if not data.strip():
        raise TableError(_("文件是空的。"))
    if extension in HTML_EXTENSIONS or (extension in SPREADSHEET_EXTENSIONS and _looks_like_html(data)):
        return read_html_sheets(data)
    return read_sheets(data, filename=filename)


# --- parsing ------------------------------------------------------------------------------------------


@dataclass
class ComplaintRow:
    """One case as read from the file. Optional values are None when the file does not give them."""

    row: int
    sequence: int
    number: ParsedNumber
    summary: str
    region_text: str
    region: Region | None
    pollution_text: str
    types: list[str]
    subtypes: list[str]
    truthfulness: str | None = None
    status: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # investigation, handling… as given (non-blank)

    @property
    def region_label(self) -> str:
        return self.region.name if self.region is not None else self.region_text

    @property
    def type_labels(self) -> list[str]:
        return pollution_type_labels(self.types)


@dataclass
class ComplaintImportResult:
    rows: list[ComplaintRow]
    problems: list[Problem]
    headers: list[str] = field(default_factory=list)
    present: set[str] = field(default_factory=set)
    sheet: str = ""
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)  # field → (header, letter)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, row: int | None, name: str, message: str) -> Problem:
        label, letter = self.columns.get(name, ("", ""))
        return Problem(row, label, message, letter)


class ComplaintImportFailed(ValidationFailed):
    """The file has problems; nothing was written."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(_("导入失败，未导入任何数据：共发现 %(n)s 个问题。") % {"n": len(problems)})


def _choose_table(sheets: list[Sheet]) -> tuple[Sheet, Header | None]:
    found = [(sheet, find_header(sheet, FIELD_ALIASES)) for sheet in sheets]
    for sheet, header in found:
        if header is not None and {"number", "summary"} <= header.fields:
            return sheet, header
    with_header = [(s, h) for s, h in found if h is not None]
    if with_header:
        return max(with_header, key=lambda pair: len(pair[1].fields))  # type: ignore[union-attr]
    return sheets[0], None


class RegionMatcher:
    """Region names under the inspection's target region: full names, names without 镇/街道/乡 (the
    target without 区/县), and names written with the district (or city) in front."""

    SUFFIXES = re.compile(r"(街道办事处|街道|镇|乡)$")
    TOP_SUFFIXES = re.compile(r"(区|县|市)$")

    def __init__(self, target: Region) -> None:
        regions = list(Region.objects.filter(path__startswith=target.path))
        ancestor_ids = [int(p) for p in target.path.strip("/").split("/") if p.isdigit()]
        self.prefixes = sorted(
            {simplified_key(r.name) for r in Region.objects.filter(pk__in=ancestor_ids)}, key=len, reverse=True)
        loose: dict[str, Region | None] = {}
        for region in regions:
            suffixes = self.TOP_SUFFIXES if region.pk == target.pk else self.SUFFIXES
            short = suffixes.sub("", simplified_key(region.name))
            if short:
                loose[short] = region if short not in loose or loose[short] == region else None
        exact: dict[str, Region | None] = {}
        for region in regions:
            key = simplified_key(region.name)
            exact[key] = region if key not in exact else None
        self.index = {**loose, **{k: v for k, v in exact.items() if v is not None or k not in loose}}

    def _lookup(self, key: str) -> Region | None:
        if key in self.index:
            return self.index[key]
        short = self.SUFFIXES.sub("", key)
        return self.index.get(short) if short else None

    def match(self, text: str) -> Region | None:
        key = simplified_key(text)
        while key:
            found = self._lookup(key)
            if found is not None:
                return found
            prefix = next((p for p in self.prefixes if key.startswith(p) and len(key) > len(p)), None)
            if prefix is None:
                return None
            key = key[len(prefix):]
        return None


def _sequence(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value > 0 else None
    text = cell_text(value).rstrip(".、")
    return int(text) if text.isdigit() and int(text) > 0 else None


class _RowReader:
    def __init__(self, sheet: Sheet, header: Header, inspection: Inspection, *, letters: bool) -> None:
        self.grid, _continued = filled(sheet, vertical_only=True)
        self.header = header
        self.columns: dict[str, Column] = {}
        for name in FIELD_ALIASES:
            column = header.first(name)
            if column is not None:
                self.columns[name] = column
        self.letters = letters
        self.regions = RegionMatcher(inspection.target_region)
        self.problems: list[Problem] = []

    def cell(self, row: list[Any], name: str) -> str:
        column = self.columns.get(name)
        if column is None or column.index >= len(row):
            return ""
        return cell_text(row[column.index])

    def problem(self, r: int, name: str, message: str) -> None:
        column = self.columns.get(name)
        label = column.label if column is not None else ""
        letter = column.letter if column is not None and self.letters else ""
        self.problems.append(Problem(r + 1, label, message, letter))

    def rows(self) -> list[ComplaintRow]:
        parsed: list[ComplaintRow] = []
        seen: dict[str, int] = {}
        position = 0
        for r in range(self.header.last_row + 1, len(self.grid)):
            row = self.grid[r]
            values = {name: self.cell(row, name) for name in self.columns}
            if not any(values.values()):
                continue
            if not values.get("number") and not values.get("summary"):
                distinct = {cell_text(v) for v in row if not is_blank(v)}
                if len(distinct) <= 1:  # a heading (第一批、合计…) or a note across the table
                    continue
            position += 1
            item = self.read(r, values, position)
            if item is None:
                continue
            first = seen.get(item.number.clean)
            if first is not None:
                self.problem(r, "number", _("受理编号“%(number)s”与第 %(row)s 行重复。") % {
                    "number": item.number.clean, "row": first})
                continue
            seen[item.number.clean] = r + 1
            parsed.append(item)
        return parsed

    def read(self, r: int, values: dict[str, str], position: int) -> ComplaintRow | None:
        before = len(self.problems)
        labels = _required_labels()
        for name in REQUIRED_FIELDS:
            if not values.get(name):
                self.problem(r, name, _("“%(column)s”不能为空。") % {"column": labels[name]})
        for name, limit in LIMITS.items():
            if len(values.get(name, "")) > limit:
                self.problem(r, name, _("内容过长（最多 %(n)s 个字）。") % {"n": limit})

        sequence = position
        if values.get("sequence"):
            column = self.columns["sequence"]
            given = _sequence(self.grid[r][column.index])
            if given is None:
                self.problem(r, "sequence", _("序号应为正整数，而不是“%(value)s”。") % {"value": values["sequence"]})
            else:
                sequence = given

        number = parse_acceptance_number(values.get("number", ""))
        if values.get("number") and not number.clean:
            self.problem(r, "number", _("受理编号只有重点件标记，缺少编号本身。"))

        types, subtypes, unknown = split_pollution_types(values.get("types", ""))
        if unknown:
            self.problem(r, "types", _("无法识别的污染类型：%(words)s（可用：%(known)s，以及扬尘、油烟、恶臭等子类）。") % {
                "words": "、".join(unknown), "known": "、".join(KNOWN_WORDS)})

        truthfulness = None
        if values.get("truthfulness"):
            truthfulness = TRUTH_VALUES.get(simplified_key(values["truthfulness"]))
            if truthfulness is None:
                self.problem(r, "truthfulness", _("“%(value)s”不是有效的值：应为 属实、基本属实、部分属实、不属实 之一，"
                                                  "尚未核实的可留空。") % {"value": values["truthfulness"]})
        status = None
        if values.get("status"):
            status = STATUS_VALUES.get(simplified_key(values["status"]))
            if status is None:
                self.problem(r, "status", _("“%(value)s”不是有效的值：应为 已办结、阶段性办结、未办结 之一，"
                                            "尚未办理的可留空。") % {"value": values["status"]})
        if len(self.problems) > before:
            return None
        region_text = values.get("region", "")
        return ComplaintRow(
            row=r + 1, sequence=sequence, number=number, summary=values["summary"], region_text=region_text,
            region=self.regions.match(region_text), pollution_text=values.get("types", ""), types=types,
            subtypes=subtypes, truthfulness=truthfulness, status=status,
            texts={name: values[name] for name in TEXT_FIELDS if values.get(name)},
        )


def complaint_import_parse(path_or_file: str | Path | IO[bytes] | bytes, *, filename: str,
                           inspection: Inspection) -> ComplaintImportResult:
    """Read a complaint table and check every row. Never raises for a bad file: every problem is in
    `result.problems`, with its row (1-based, as in the sheet), column (its header) and reason."""
    try:
        check_spreadsheet_upload(path_or_file, filename=filename)  # a zip bomb is refused before expanding
        sheets = read_complaint_sheets(path_or_file, filename=filename)
    except (TableError, UploadRefused) as error:
        return ComplaintImportResult(rows=[], problems=[Problem(None, "", error.message)])
    sheet, header = _choose_table(sheets)
    labels = _required_labels()
    if header is None:
        message = _("没有找到表头：表头应包含 %(wanted)s 等列（可以在标题行之下）。前几行的内容是：%(found)s。") % {
            "wanted": "、".join(labels.values()), "found": "、".join(header_preview(sheet)) or _("（无）")}
        return ComplaintImportResult(rows=[], problems=[Problem(None, "", message)], sheet=sheet.name)
    result = ComplaintImportResult(rows=[], problems=[], headers=header.labels, present=header.fields,
                                   sheet=sheet.name)
    missing = [labels[name] for name in REQUIRED_FIELDS if name not in header.fields]
    if missing:
        result.problems.append(Problem(header.last_row + 1, "", _(
            "缺少必需的列：%(missing)s。表头（第 %(row)s 行）中找到的列：%(found)s。") % {
            "missing": "、".join(missing), "row": header.last_row + 1, "found": "、".join(header.labels) or _("（无）")}))
        return result
    reader = _RowReader(sheet, header, inspection, letters=not isinstance(sheet, PageTable))
    result.columns = {name: (c.label, c.letter if reader.letters else "") for name, c in reader.columns.items()}
    result.rows = reader.rows()
    result.problems = sorted(reader.problems, key=lambda p: (p.row or 0, len(p.letter), p.letter, p.message))
    if not result.rows and not result.problems:
        result.problems.append(Problem(header.last_row + 1, "", _("表头之下没有任何信访件。")))
    return result


# --- writing ------------------------------------------------------------------------------------------


def may_import_complaints(actor: Any, inspection: Inspection) -> bool:
    """The office of the inspection's region, or the system actor (commands)."""
    if is_system_actor(actor):
        return True
    return user_has_role(actor, Role.OFFICE) and scope_for(actor, Inspection.objects.filter(pk=inspection.pk)).exists()


def handover_batch_get_or_create(*, actor: Any, inspection: Inspection, number: int,
                                 handed_over: dt.date) -> tuple[HandoverBatch, bool]:
    """The batch 第N批 of the inspection, created when missing. An existing batch handed over on another
    day is refused (a wrong batch number or date)."""
    if not may_import_complaints(actor, inspection):
        raise PermissionDenied(_("只有被督察地区的督察整改办可以导入信访件。"))
    batch = HandoverBatch.objects.filter(inspection=inspection, number=number).first()
    if batch is not None:
        if batch.handed_over != handed_over:
            raise ValidationFailed(_("第%(n)s批已于 %(date)s 交办，与填写的交办日期 %(given)s 不一致：请核对批次和交办日期。") % {
                "n": number, "date": f"{batch.handed_over:%Y-%m-%d}", "given": f"{handed_over:%Y-%m-%d}"})
        return batch, False
    batch = HandoverBatch.objects.create(inspection=inspection, number=number, handed_over=handed_over,
                                         reply_days=inspection.complaint_reply_days or DEFAULT_REPLY_DAYS)
    event_record(actor=actor, verb="batch.created", obj=batch,
                 data={"inspection": inspection.pk, "number": number, "handed_over": handed_over})
    return batch, True


def _values(row: ComplaintRow) -> dict[str, Any]:
    """The fields the row sets; optional ones only where the file gives them."""
    number = row.number
    values: dict[str, Any] = {
        "sequence": row.sequence, "acceptance_number": number.clean, "channel": number.channel,
        "number_round": number.round, "number_province": number.province, "received_date": number.received_date,
        "number_serial": number.serial, "is_priority": number.is_priority, "summary": row.summary,
        "region_id": row.region.pk if row.region is not None else None, "region_text": row.region_text,
        "pollution_types": row.types, "pollution_subtypes": row.subtypes, "pollution_text": row.pollution_text,
    }
    if row.truthfulness is not None:
        values["truthfulness"] = row.truthfulness
    if row.status is not None:
        values["status"] = row.status
    values.update(row.texts)
    return values


def complaint_import_save(*, actor: Any, inspection: Inspection, batch: HandoverBatch, row: ComplaintRow,
                          existing: Complaint | None = None) -> tuple[Complaint, str]:
    """Create or update one imported case (keyed by its clean 受理编号 within the inspection) and record a
    `complaint.imported` event. Returns the case and "created", "updated" or "unchanged"."""
    if not may_import_complaints(actor, inspection):
        raise PermissionDenied(_("只有被督察地区的督察整改办可以导入信访件。"))
    values = _values(row)
    if existing is None:
        complaint = Complaint(inspection=inspection, batch=batch,
                              reply_deadline=batch.handed_over + dt.timedelta(days=batch.reply_days), **values)
        complaint.search_text = search_document(complaint.summary, complaint.region_text)
        if complaint.status == ComplaintStatus.DONE:
            complaint.done_at = timezone.localdate()
        complaint.save()
        after = {name: getattr(complaint, name) for name in ("batch_id", "reply_deadline", "status", *values)}
        event_record(actor=actor, verb="complaint.imported", obj=complaint,
                     data={"result": "created", "batch": batch.number, "after": after})
        return complaint, "created"
    before = {name: getattr(existing, name) for name in values}
    changes = diff(before, values)
    if not changes:
        return existing, "unchanged"
    for name, value in values.items():
        setattr(existing, name, value)
    if "status" in changes:  # the day the case was seen closed; reopened cases have none
        existing.done_at = (existing.done_at or timezone.localdate()) if existing.status == ComplaintStatus.DONE else None
    existing.search_text = search_document(existing.summary, existing.region_text)
    existing.version += 1
    existing.save()
    event_record(actor=actor, verb="complaint.imported", obj=existing,
                 data={"result": "updated", "batch": batch.number, "changes": changes})
    return existing, "updated"


@dataclass
class ComplaintOutcome:
    row: int
    number: str
    is_priority: bool
    summary: str
    region: str
    region_matched: bool
    types: list[str]
    subtypes: list[str]
    status: str  # created / updated / unchanged


@dataclass
class ComplaintImportCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    batch_created: bool = False
    outcomes: list[ComplaintOutcome] = field(default_factory=list)
    dry_run: bool = False


def complaint_import_apply(*, actor: Any, inspection: Inspection, batch_number: int, handed_over: dt.date,
                           result: ComplaintImportResult, dry_run: bool = False) -> ComplaintImportCounts:
    """Write the parsed cases into batch `batch_number` of `inspection`, all or nothing. Raises
    `ComplaintImportFailed` with every problem (the file's, or cases already in another batch), or
    `PermissionDenied`. With `dry_run` everything is done and rolled back, so the counts are exact."""
    if result.problems:
        raise ComplaintImportFailed(result.problems)
    if not may_import_complaints(actor, inspection):
        raise PermissionDenied(_("只有被督察地区的督察整改办可以导入信访件。"))
    counts = ComplaintImportCounts(dry_run=dry_run)
    try:
        _apply(actor=actor, inspection=inspection, batch_number=batch_number, handed_over=handed_over,
               result=result, counts=counts)
    except IntegrityError as error:  # another import of the same cases at the same moment
        raise ComplaintImportFailed([Problem(None, "", _("导入时这些信访件正被同时导入或修改，请稍后重新导入。"))]) from error
    return counts


def _apply(*, actor: Any, inspection: Inspection, batch_number: int, handed_over: dt.date,
           result: ComplaintImportResult, counts: ComplaintImportCounts) -> None:
    with transaction.atomic():
        try:
            batch, counts.batch_created = handover_batch_get_or_create(
                actor=actor, inspection=inspection, number=batch_number, handed_over=handed_over)
        except PermissionDenied:
            raise
        except ValidationFailed as error:
            raise ComplaintImportFailed([Problem(None, "", str(error.message))]) from error
        existing = _existing(inspection, [row.number.clean for row in result.rows])
        problems = [
            result.problem(row.row, "number", _("受理编号“%(number)s”已在第%(n)s批中，不能再导入到第%(batch)s批：请核对批次。") % {
                "number": row.number.clean, "n": existing[row.number.clean].batch.number, "batch": batch_number})
            for row in result.rows
            if row.number.clean in existing and existing[row.number.clean].batch_id != batch.pk
        ]
        if problems:
            raise ComplaintImportFailed(problems)
        for row in result.rows:
            complaint, status = complaint_import_save(actor=actor, inspection=inspection, batch=batch, row=row,
                                                      existing=existing.get(row.number.clean))
            setattr(counts, status, getattr(counts, status) + 1)
            counts.outcomes.append(ComplaintOutcome(
                row=row.row, number=row.number.clean, is_priority=row.number.is_priority, summary=row.summary,
                region=row.region_label,
                region_matched=row.region is not None, types=row.type_labels, subtypes=row.subtypes, status=status))
        if counts.dry_run:
            transaction.set_rollback(True)


def _existing(inspection: Inspection, numbers: Iterable[str]) -> dict[str, Complaint]:
    """The inspection's cases whose 受理编号 (without a priority mark) is one of `numbers`."""
    wanted = set(numbers)
    ids: dict[str, int] = {}
    for pk, text in Complaint.objects.filter(inspection=inspection).values_list("pk", "acceptance_number"):
        clean = parse_acceptance_number(text).clean
        if clean in wanted:
            ids.setdefault(clean, pk)
    found = Complaint.objects.select_related("batch").select_for_update(of=("self",)).in_bulk(list(ids.values()))
    return {clean: found[pk] for clean, pk in ids.items() if pk in found}


def problems_text(problems: Iterable[Problem]) -> str:
    return "\n".join(f"  {p}" for p in problems)


__all__ = [
    "ComplaintImportCounts",
    "ComplaintImportFailed",
    "ComplaintImportResult",
    "ComplaintOutcome",
    "ComplaintRow",
    "Problem",
    "complaint_import_apply",
    "complaint_import_parse",
    "complaint_import_save",
    "handover_batch_get_or_create",
    "may_import_complaints",
    "problems_text",
    "read_complaint_sheets",
]
