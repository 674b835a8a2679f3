"""Reading published tables (.xlsx/.xls/.csv) into rows of cells, and finding their header by name.

Published tables are made by hand: a title row above the header, a header over two rows (a group label
merged across several columns, the real names below), newlines and spaces inside header cells,
traditional characters, merged cells that continue a task over several rows. This module turns any
of these into a plain grid (`Sheet`) and a header map (`Header`); what the columns mean is up to the
importer that uses it.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

SPREADSHEET_EXTENSIONS = (".xlsx", ".xlsm", ".xls")
SUPPORTED_EXTENSIONS = (*SPREADSHEET_EXTENSIONS, ".csv")
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
HEADER_SCAN_ROWS = 30


class TableError(Exception):
    """The file cannot be read as a table; `message` (Chinese) says why."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass
class Sheet:
    """One worksheet as a grid. rows[i] is the spreadsheet's row i + 1; merged ranges are
    (first_row, first_col, last_row, last_col), 0-based and inclusive."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


# --- reading -----------------------------------------------------------------------------------------


def read_bytes(source: str | Path | IO[bytes] | bytes) -> bytes:
    if isinstance(source, bytes):
        return source
    if isinstance(source, str | Path):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


def read_sheets(source: str | Path | IO[bytes] | bytes, *, filename: str) -> list[Sheet]:
    """All worksheets of the file (one for a CSV). Raises `TableError` with a message for the user."""
    extension = Path(filename).suffix.lower()
    if extension not in SUPPORTED_EXTENSIONS:
        raise TableError(
            _("不支持的文件类型“%(ext)s”：请上传 Excel（.xlsx）或 CSV（.csv）文件。") % {"ext": extension or filename}
        )
    try:
        data = read_bytes(source)
    except OSError as exc:
        raise TableError(_("无法读取文件：%(error)s") % {"error": exc.strerror or exc}) from exc
    if not data.strip():
        raise TableError(_("文件是空的。"))
    sheets = _read_csv(data, filename) if extension == ".csv" else _read_spreadsheet(data, extension)
    if not any(any(not is_blank(v) for v in row) for sheet in sheets for row in sheet.rows):
        raise TableError(_("文件中没有任何内容。"))
    return sheets


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    for encoding in CSV_ENCODINGS:
        try:
            sample.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _read_spreadsheet(data: bytes, extension: str) -> list[Sheet]:
    from python_calamine import CalamineError, CalamineWorkbook, PasswordError

    is_zip = data[:4] == b"PK\x03\x04"
    is_ole = data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if not (is_zip or is_ole):
        if _looks_like_text(data):
            raise TableError(
                _("文件扩展名是“%(ext)s”，但内容是文本（可能是改了扩展名的 CSV 或网页）：请在 Excel 中打开后"
                  "“另存为” .xlsx 工作簿，或直接上传 .csv 文件。") % {"ext": extension}
            )
        raise TableError(_("文件不是有效的 Excel 工作簿（可能已损坏）：请在 Excel 中打开后另存为 .xlsx 再导入。"))
    if is_zip and not zipfile.is_zipfile(io.BytesIO(data)):
        raise TableError(_("文件不是有效的 Excel 工作簿（可能已损坏或未完整上传）：请在 Excel 中打开后另存为 .xlsx 再导入。"))
    if is_zip and not _zip_has(data, "xl/workbook.xml") and not _zip_has(data, "xl/workbook.bin"):
        raise TableError(_("压缩包中没有 Excel 工作簿：请上传 .xlsx 文件（Word 文档、WPS 等格式请先另存为 .xlsx）。"))
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for index, name in enumerate(workbook.sheet_names):
            sheet = workbook.get_sheet_by_index(index)
            rows = sheet.to_python(skip_empty_area=False)
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (getattr(sheet, "merged_cell_ranges", None) or [])]
            sheets.append(Sheet(name=name, rows=[list(r) for r in rows], merged=merged))
        return sheets
    except PasswordError as exc:
        raise TableError(_("工作簿有密码保护：请取消密码后再导入。")) from exc
    except (CalamineError, ValueError, OSError) as exc:
        raise TableError(_("无法读取 Excel 工作簿（%(error)s）：请在 Excel 中打开后另存为 .xlsx 再导入。") % {"error": exc}) from exc


def _zip_has(data: bytes, name: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return name in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableError(_("无法识别 CSV 文件的编码：请保存为 UTF-8 或 GB18030（GBK）编码。"))


def _read_csv(data: bytes, filename: str) -> list[Sheet]:
    text = _decode(data)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max(",\t;", key=first_line.count) if first_line else ","
    try:
        rows = [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise TableError(_("CSV 文件格式有误：%(error)s") % {"error": exc}) from exc
    return [Sheet(name=Path(filename).stem, rows=rows)]


# --- cells -------------------------------------------------------------------------------------------


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Any) -> str:
    """A cell as trimmed text: 3.0 → "3", line breaks normalised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


_NAME_SEPARATORS = re.compile(r"[、，,;；/／\n\r]+")
_NAME_MARKERS = re.compile(r"[(（](?:牵头|配合|负责)[)）]$")


def split_names(value: Any) -> list[str]:
    """Several units in one cell: separated by 、，, ; ； / or line breaks. Order kept, duplicates dropped;
    a trailing "（牵头）" marker is removed."""
    names: list[str] = []
    for part in _NAME_SEPARATORS.split(cell_text(value)):
        name = _NAME_MARKERS.sub("", part.strip(" \t\u3000")).strip(" \t\u3000")
        if name and name not in names:
            names.append(name)
    return names


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


# --- headers -----------------------------------------------------------------------------------------

# Traditional → simplified, for the characters that occur in the headers of published tables.
_TRADITIONAL = "問題牽頭單標時責實體務進銷號備註領導驗類別舉階饋編間況狀門點內會見項據際報聯繫屬數約辦處負級"
_SIMPLIFIED = "问题牵头单标时责实体务进销号备注领导验类别举阶馈编间况状门点内会见项据际报联系属数约办处负级"
_TRAD_MAP = str.maketrans(_TRADITIONAL, _SIMPLIFIED)
_BRACKETED = re.compile(r"[(（【\[][^)）】\]]*[)）】\]]")


def header_key(value: Any) -> str:
    """The comparable form of a header cell: no whitespace, no bracketed notes or required-markers,
    half-width, simplified."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    text = re.sub(r"\s+", "", text)
    text = _BRACKETED.sub("", text)
    text = text.strip("*※★:：")
    return text.translate(_TRAD_MAP)


def header_label(value: Any) -> str:
    """A header as shown back to the user: its text with whitespace collapsed."""
    return re.sub(r"\s+", "", cell_text(value))


@dataclass(frozen=True)
class Column:
    index: int
    field: str | None
    label: str

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass
class Header:
    rows: tuple[int, ...]  # 0-based indexes of the header rows
    columns: list[Column]

    @property
    def last_row(self) -> int:
        return self.rows[-1]

    def all(self, name: str) -> list[Column]:
        return [c for c in self.columns if c.field == name]

    def first(self, name: str) -> Column | None:
        found = self.all(name)
        return found[0] if found else None

    @property
    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.field}

    @property
    def labels(self) -> list[str]:
        return [c.label for c in self.columns if c.label]


def alias_index(aliases: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """{"number": ["序号", "任务序号"]} → {"序号": "number", "任务序号": "number"} on header keys."""
    return {header_key(alias): name for name, names in aliases.items() for alias in names}


def filled(sheet: Sheet, *, vertical_only: bool = False) -> tuple[list[list[Any]], set[tuple[int, int]]]:
    """A copy of the grid in which every merged range carries its top-left value in all its cells, and
    the set of the cells so filled. `vertical_only` fills single-column ranges only (for data rows,
    where a range merged across columns is a heading, not a value of each column)."""
    width = sheet.width
    grid = [list(r) + [None] * (width - len(r)) for r in sheet.rows]
    continued: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in sheet.merged:
        if vertical_only and c1 != c2:
            continue
        if r1 >= len(grid) or c1 >= width:
            continue
        value = grid[r1][c1]
        for r in range(r1, min(r2, len(grid) - 1) + 1):
            for c in range(c1, min(c2, width - 1) + 1):
                if (r, c) != (r1, c1):
                    grid[r][c] = value
                    continued.add((r, c))
    return grid, continued


def _match_row(cells: Sequence[Any], index: dict[str, str]) -> list[str | None]:
    return [index.get(header_key(v)) if not is_blank(v) else None for v in cells]


def _combine(upper: Sequence[Any], lower: Sequence[Any], index: dict[str, str]) -> tuple[list[Column], int, bool]:
    """A header over two rows. Per column: both read together when that names a column ("整改" over
    "时限"), else the lower name, else the upper one (a cell merged down over both rows). Returns the
    columns, how many are known, and whether the upper row named any of them."""
    columns = []
    score = 0
    used_upper = False
    for i in range(max(len(upper), len(lower))):
        top = upper[i] if i < len(upper) else None
        bottom = lower[i] if i < len(lower) else None
        together = f"{cell_text(top)}{cell_text(bottom)}" if not (is_blank(top) or is_blank(bottom)) and top != bottom else None
        choice: tuple[str | None, Any] = (None, bottom if not is_blank(bottom) else top)
        for candidate in (together, bottom, top):
            if not is_blank(candidate) and header_key(candidate) in index:
                choice = (index[header_key(candidate)], candidate)
                used_upper = used_upper or candidate is not bottom
                break
        if choice[0]:
            score += 1
        columns.append(Column(i, choice[0], header_label(choice[1])))
    return columns, score, used_upper


def find_header(sheet: Sheet, aliases: Mapping[str, Sequence[str]], *, minimum: int = 2) -> Header | None:
    """The header of the sheet: the row (or pair of rows) within the first rows whose cells name the most
    known columns, at least `minimum` of them. Title rows above it are skipped."""
    index = alias_index(aliases)
    grid, _continued = filled(Sheet(sheet.name, sheet.rows[:HEADER_SCAN_ROWS], sheet.merged))
    best: Header | None = None
    best_score = minimum - 1
    for r, cells in enumerate(grid):
        matches = _match_row(cells, index)
        score = sum(1 for m in matches if m)
        if score > best_score:
            best_score = score
            best = Header((r,), [Column(i, m, header_label(v)) for i, (m, v) in enumerate(zip(matches, cells, strict=True))])
    if best is None:
        return None
    r = best.rows[0]
    single_score = best_score
    if r > 0:  # group labels above the best row ("整改任务" over 存在问题…, "整改" over 时限)
        columns, score, used_upper = _combine(grid[r - 1], grid[r], index)
        if score > best_score or (score == best_score and used_upper):
            best_score, best = score, Header((r - 1, r), columns)
    if r + 1 < len(grid):  # the real names below the best row; never at the cost of a data row
        columns, score, _used = _combine(grid[r], grid[r + 1], index)
        if score > max(best_score, single_score):
            best_score, best = score, Header((r, r + 1), columns)
    return best


def header_preview(sheet: Sheet, *, rows: int = 5) -> list[str]:
    """The non-empty cells of the first rows, to tell the user what was found instead of a header."""
    found: list[str] = []
    for row in sheet.rows[:rows]:
        for value in row:
            label = header_label(value)
            if label and label not in found:
                found.append(label[:20])
    return found
