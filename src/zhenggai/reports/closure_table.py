"""The closure notice table (验收销号公示表) of a plan as a PDF, in the published shape:

    任务序号 | 整改实施主体 | 公示日期 | 整改任务概述 | 整改情况

followed by the notice period (公示期间) and the objection channel (telephone and e-mail of the notices).
`closure_notice_table_pdf_bytes` takes the notices already chosen by the caller, so the public portal can
serve the same table from its own (public) selection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import translation

from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import PublicNotice

LANGUAGE = "zh-hans"


@dataclass
class ClosureTable:
    plan: Plan
    notices: list[PublicNotice]
    period_start: dt.date | None
    period_end: dt.date | None
    working_days: list[int]
    phones: list[str]
    emails: list[str]


def closure_table(*, plan: Plan, notices: Iterable[PublicNotice]) -> ClosureTable:
    rows = list(notices)
    return ClosureTable(
        plan=plan, notices=rows,
        period_start=min((n.start_date for n in rows), default=None),
        period_end=max((n.end_date for n in rows), default=None),
        working_days=sorted({n.working_days for n in rows}),
        phones=list(dict.fromkeys(n.contact_phone for n in rows if n.contact_phone)),
        emails=list(dict.fromkeys(n.contact_email for n in rows if n.contact_email)),
    )


def closure_notice_table_pdf_bytes(*, plan: Plan, notices: Iterable[PublicNotice]) -> bytes:
    """The table of `notices` (of `plan`; pass them with `task` and `task__implementing_units` loaded to
    save queries) as an A4 landscape PDF with AR PL UMing embedded. Shows nothing but what a published
    notice shows."""
    from zhenggai.rectification.documents import pdf_from_template

    with translation.override(LANGUAGE):
        return pdf_from_template("reports/documents/closure_table_pdf.html",
                                 {"t": closure_table(plan=plan, notices=notices)}) or b""
