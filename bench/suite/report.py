"""One table of figures, with a target and a pass/miss marker per row, printed as fixed-width text and
written as Markdown and JSON."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

STAFF_P95_MS = 150.0
DASHBOARD_P95_MS = 300.0
MAIN_QUERY_RATIO = 3.0


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share 0..1) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@dataclass
class Row:
    """One line of the table. Pages fill the timing and query columns; jobs and throughput fill
    `figure` (their main number, in `unit`) and `detail` (the rest, in words)."""

    name: str
    kind: str  # "page", "throughput" or "job"
    user: str = ""
    median_ms: float | None = None
    p95_ms: float | None = None
    queries: int | None = None
    queries_alt: int | None = None  # the same list at another page size (or page): must not grow
    main_ms: float | None = None  # the page's dominant query run directly on the database
    ratio: float | None = None  # median page time / main query time
    main_sql: str = ""
    figure: float | None = None
    unit: str = ""
    detail: str = ""
    target: str = ""
    ok: bool | None = None  # None: no target
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    scale: str
    engine: str
    rows: list[Row] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def names(self) -> list[str]:
        return [row.name for row in self.rows]

    def as_dict(self) -> dict[str, Any]:
        return {"scale": self.scale, "engine": self.engine, "info": self.info, "rows": [asdict(r) for r in self.rows]}


def judge_page(row: Row, *, p95_target: float) -> None:
    """Targets of a page: p95 within `p95_target`, median within 3× of its main query, and a query count
    that does not grow with the rows shown."""
    parts = [f"p95 ≤ {p95_target:.0f} ms", f"≤ {MAIN_QUERY_RATIO:.0f}× main query"]
    ok = row.p95_ms is not None and row.p95_ms <= p95_target
    if row.p95_ms is not None and row.p95_ms > p95_target:
        row.notes.append("p95")
    if row.ratio is not None:
        if row.ratio > MAIN_QUERY_RATIO:
            ok = False
            row.notes.append("ratio")
    if row.queries_alt is not None:
        parts.append("queries flat")
        if row.queries is not None and row.queries_alt > row.queries:
            ok = False
            row.notes.append("queries grow")
    row.target = ", ".join(parts)
    row.ok = ok


def _fmt(value: float | int | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _mark(ok: bool | None) -> str:
    return {True: "pass", False: "MISS", None: ""}[ok]


HEADERS = ("benchmark", "user", "median ms", "p95 ms", "queries", "q. other", "main SQL ms", "ratio",
           "figure", "target", "")


def _cells(row: Row) -> list[str]:
    figure = f"{_fmt(row.figure)} {row.unit}".strip() if row.figure is not None else ""
    if row.detail:
        figure = f"{figure} ({row.detail})" if figure else row.detail
    mark = _mark(row.ok)
    if row.ok is False and row.notes:
        mark += " (" + ", ".join(row.notes) + ")"
    return [row.name, row.user, _fmt(row.median_ms), _fmt(row.p95_ms), _fmt(row.queries), _fmt(row.queries_alt),
            _fmt(row.main_ms, 2), _fmt(row.ratio, 2 if row.kind == "throughput" else 1), figure, row.target, mark]


def text_table(report: Report) -> str:
    rows = [list(HEADERS)] + [_cells(r) for r in report.rows]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(HEADERS))]
    numeric = {2, 3, 4, 5, 6, 7}
    lines = []
    for index, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            pad = " " * (widths[i] - _width(cell))
            cells.append(pad + cell if i in numeric else cell + pad)
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def markdown_table(report: Report) -> str:
    lines = ["| " + " | ".join(h or "result" for h in HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for row in report.rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in _cells(row)) + " |")
    return "\n".join(lines)


def write(report: Report, directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"bench-{report.scale}-{report.engine}"
    md = directory / f"{stem}.md"
    js = directory / f"{stem}.json"
    info = "\n".join(f"- {k}: {v}" for k, v in report.info.items())
    md.write_text(f"# Benchmark: scale {report.scale}, {report.engine}\n\n{info}\n\n{markdown_table(report)}\n",
                  encoding="utf-8")
    js.write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return md, js
