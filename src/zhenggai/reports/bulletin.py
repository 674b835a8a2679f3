"""The monthly dispatch bulletin (调度通报) of a region: what it says, and the PDF.

Figures are the state of the tasks and complaints located in the region (and its sub-regions) when the
bulletin is generated, dated "截至" the last day of the month (or today, for the running month):
- summary: tasks in total, closed (已销号, counted as done), not yet closed, red and yellow (the stored
  warning), complaints in total and done (已办结);
- completion by due year (完成年度), tasks without a year last;
- the completion ranking of implementing units: tasks, closed, completion rate, overdue (past the deadline
  and not yet accepted); ranked by rate (high first), then fewer overdue, then more tasks; equal rate and
  overdue share a rank;
- the red and yellow lists;
- late and missing reporters of the month's dispatch rounds (rounds whose period starts in the month):
  late = approved after the due date (`ProgressReport.is_late`), missing = still no approved report;
- optionally the assessment ranking (rows with rank, unit_name, score) when the caller passes them.
The DOCX (bulletin_docx.py) and the PDF share `bulletin_context`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.utils import translation
from django.utils.translation import gettext as _

from zhenggai.accounts.models import Organization, Region
from zhenggai.core.errors import ValidationFailed
from zhenggai.core.templatetags.zg import cn_date
from zhenggai.rectification.models import DispatchRound, ProgressReport, Task
from zhenggai.rectification.warnings import ACCEPTED, RED, YELLOW, today
from zhenggai.rectification.workflow import TaskStatus

LANGUAGE = "zh-hans"
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(value: str | dt.date) -> dt.date:
    """"2025-03" (or a date) → the first day of that month; ValidationFailed otherwise."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = MONTH_RE.match((value or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationFailed(_("月份格式应为 YYYY-MM，例如 2025-03。"), field="month")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def bulletin_title(region: Region, month: dt.date, number: int) -> str:
    with translation.override(LANGUAGE):
        return _("%(region)s生态环境保护督察整改调度通报（%(year)s年第%(number)s期）") % {
            "region": region.name, "year": month.year, "number": number}


def rate(done: int, total: int) -> str:
    return f"{done * 100 / total:.1f}%" if total else "—"


@dataclass
class Summary:
    tasks: int
    done: int
    in_progress: int
    red: int
    yellow: int
    complaints: int
    complaints_done: int

    @property
    def rate(self) -> str:
        return rate(self.done, self.tasks)

    @property
    def complaints_rate(self) -> str:
        return rate(self.complaints_done, self.complaints)


@dataclass
class YearRow:
    label: str
    total: int
    done: int

    @property
    def open(self) -> int:
        return self.total - self.done

    @property
    def rate(self) -> str:
        return rate(self.done, self.total)


@dataclass
class RankRow:
    rank: int
    unit: str
    total: int
    done: int
    overdue: int

    @property
    def rate(self) -> str:
        return rate(self.done, self.total)


@dataclass
class ListRow:
    number: int
    plan: str
    title: str
    units: str
    deadline: str
    days: int | None  # red: days past the deadline; yellow: days left


@dataclass
class ReporterRow:
    unit: str
    round: str
    due: str
    late: int
    missing: int
    tasks: str


@dataclass
class BulletinData:
    title: str
    region: str
    office: str
    month: dt.date
    number: int
    as_of: dt.date
    summary: Summary
    by_year: list[YearRow]
    ranking: list[RankRow]
    red: list[ListRow]
    yellow: list[ListRow]
    rounds: list[str]
    reporters: list[ReporterRow]
    assessment: list[Any] | None = None
    several_plans: bool = False
    lead: str = field(default="")

    @property
    def month_label(self) -> str:
        return _("%(year)s年%(month)s月") % {"year": self.month.year, "month": self.month.month}


def _summary(tasks: Any, region: Region) -> Summary:
    from zhenggai.complaints.models import Complaint, ComplaintStatus

    counts = tasks.aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=TaskStatus.CLOSED)),
        red=Count("pk", filter=Q(warning=RED)), yellow=Count("pk", filter=Q(warning=YELLOW)),
    )
    complaints = Complaint.objects.filter(inspection__target_region__path__startswith=region.path).aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status=ComplaintStatus.DONE)))
    return Summary(tasks=counts["total"], done=counts["done"], in_progress=counts["total"] - counts["done"],
                   red=counts["red"], yellow=counts["yellow"], complaints=complaints["total"],
                   complaints_done=complaints["done"])


def _by_year(tasks: Any) -> list[YearRow]:
    rows = tasks.order_by().values("due_year").annotate(
        total=Count("pk"), done=Count("pk", filter=Q(status=TaskStatus.CLOSED)))
    result = sorted(rows, key=lambda r: (r["due_year"] is None, r["due_year"] or 0))
    return [YearRow(_("%(year)s年") % {"year": r["due_year"]} if r["due_year"] else _("未定年度"), r["total"], r["done"])
            for r in result]


def _ranking(tasks: Any, as_of: dt.date) -> list[RankRow]:
    links = Task.implementing_units.through.objects.filter(task__in=tasks).values_list(
        "organization_id", "task__status", "task__deadline")
    stats: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for org_id, status, deadline in links:
        row = stats[org_id]
        row[0] += 1
        row[1] += status == TaskStatus.CLOSED
        row[2] += bool(status not in ACCEPTED and deadline is not None and deadline < as_of)
    names = {o.pk: o.name for o in Organization.objects.filter(pk__in=list(stats))}
    ordered = sorted(stats.items(), key=lambda item: (-item[1][1] / item[1][0], item[1][2], -item[1][0],
                                                      names.get(item[0], "")))
    result: list[RankRow] = []
    for position, (org_id, (total, done, overdue)) in enumerate(ordered, start=1):
        previous = result[-1] if result else None
        same = previous is not None and previous.done * total == done * previous.total and previous.overdue == overdue
        result.append(RankRow(previous.rank if same and previous else position, names.get(org_id, ""), total, done,
                              overdue))
    return result


def _list(tasks: Any, level: str, as_of: dt.date) -> list[ListRow]:
    rows = []
    for task in (tasks.filter(warning=level).select_related("plan").prefetch_related("implementing_units")
                 .order_by("deadline", "plan_id", "number")):
        days = None
        if task.deadline is not None:
            days = (as_of - task.deadline).days if level == RED else (task.deadline - as_of).days
        rows.append(ListRow(task.number, task.plan.title, task.title,
                            "、".join(u.name for u in task.implementing_units.all()),
                            cn_date(task.deadline) if task.deadline else task.deadline_text, days))
    return rows


def _reporters(region: Region, month: dt.date) -> tuple[list[str], list[ReporterRow]]:
    from zhenggai.rectification.rounds import round_outstanding

    rounds = list(DispatchRound.objects.filter(
        region__path__startswith=region.path, period_start__gte=month, period_start__lte=month_end(month),
    ).order_by("period_start", "id"))
    rows: list[ReporterRow] = []
    for rnd in rounds:
        per_unit: dict[int, tuple[Organization, set[int], set[int]]] = {}
        late = ProgressReport.objects.filter(round=rnd, status=ProgressReport.Status.APPROVED, is_late=True)
        for report in late.select_related("unit", "task"):
            entry = per_unit.setdefault(report.unit_id, (report.unit, set(), set()))
            entry[1].add(report.task.number)
        for unit, owed in round_outstanding(rnd).items():
            entry = per_unit.setdefault(unit.pk, (unit, set(), set()))
            entry[2].update(t.number for t in owed)
        for unit, late_numbers, missing_numbers in sorted(per_unit.values(), key=lambda e: (-len(e[2]), -len(e[1]),
                                                                                          e[0].sort_order, e[0].pk)):
            rows.append(ReporterRow(unit.name, rnd.title, cn_date(rnd.due_date), len(late_numbers),
                                    len(missing_numbers),
                                    "、".join(str(n) for n in sorted(late_numbers | missing_numbers))))
    return [r.title for r in rounds], rows


def _office_name(region: Region) -> str:
    office = Organization.objects.filter(kind=Organization.Kind.OFFICE, region=region, is_active=True).order_by("pk")
    first = office.first()
    return first.name if first else _("生态环境保护督察整改工作领导小组办公室")


def bulletin_context(*, region: Region, month: str | dt.date, assessment_rows: Sequence[Any] | None = None,
                     number: int = 1, on: dt.date | None = None) -> BulletinData:
    """What the bulletin of `region` for `month` ("YYYY-MM" or a date in it) says (see the module
    docstring). `assessment_rows`: optional objects with `rank`, `unit_name` and `score`, shown as
    考核排名. `on`: the generation day (defaults to today); figures are dated min(month end, on)."""
    first = parse_month(month)
    as_of = min(month_end(first), on or today())
    tasks = Task.objects.filter(region__path__startswith=region.path)
    with translation.override(LANGUAGE):
        summary = _summary(tasks, region)
        rounds, reporters = _reporters(region, first)
        data = BulletinData(
            title=bulletin_title(region, first, number), region=region.name, office=_office_name(region),
            month=first, number=number, as_of=as_of, summary=summary, by_year=_by_year(tasks),
            ranking=_ranking(tasks, as_of), red=_list(tasks, RED, as_of), yellow=_list(tasks, YELLOW, as_of),
            rounds=rounds, reporters=reporters,
            assessment=list(assessment_rows) if assessment_rows is not None else None,
            several_plans=tasks.values("plan_id").distinct().count() > 1,
        )
        data.lead = _(
            "截至%(date)s，%(region)s共有整改任务%(tasks)s项，已完成销号%(done)s项，完成率%(rate)s；"
            "正在推进%(open)s项，其中红灯%(red)s项、黄牌%(yellow)s项。"
            "信访举报件共%(complaints)s件，已办结%(complaints_done)s件。"
        ) % {"date": cn_date(as_of), "region": region.name, "tasks": summary.tasks, "done": summary.done,
             "rate": summary.rate, "open": summary.in_progress, "red": summary.red, "yellow": summary.yellow,
             "complaints": summary.complaints, "complaints_done": summary.complaints_done}
    return data


def bulletin_pdf_bytes(data: BulletinData) -> bytes:
    """The bulletin as an A4 PDF (WeasyPrint, AR PL UMing embedded, table headers repeated on every page,
    page numbers at the foot)."""
    from zhenggai.rectification.documents import pdf_from_template

    with translation.override(LANGUAGE):
        return pdf_from_template("reports/documents/bulletin_pdf.html", {"b": data}) or b""
