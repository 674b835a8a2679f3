"""Check on public notices (销号公示): a notice shorter than the rule in Chinese working days.

A notice announced as "10 working days" whose dates span a national holiday may in truth have lasted
four: the days are counted on the working-day calendar (statutory holidays and 调休 make-up days), as
the acceptance code counts them when it opens a notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.core.models import WorkCalendar
from zhenggai.core.workdays import working_days_between
from zhenggai.rectification.models import PublicNotice

from .base import Finding, Scope, register
from .common import day, fetch, iso, nothing_in_scope, scoped

NOTICE_FIELDS = ("id", "task_id", "start_date", "end_date", "working_days")


def required_days() -> int:
    """The rule: the working days a notice must last (setting ZHENGGAI_NOTICE_WORKING_DAYS, default 10),
    the same number `task_pass_acceptance` gives a new notice."""
    from zhenggai.rectification.transitions import _notice_days

    return _notice_days()


def _holidays(first: dt.date, last: dt.date) -> dict[dt.date, str]:
    """Named days off between two dates (春节, 国庆节…), from the calendar table."""
    rows = WorkCalendar.objects.filter(date__gte=first, date__lte=last, is_workday=False).exclude(name="")
    return dict(rows.values_list("date", "name"))


@register(
    "short_notice", gettext_lazy("公示期不足"),
    triggers=("task.pass", "task.close"),
    description=gettext_lazy("销号公示的起止日期按工作日历（含法定节假日和调休）实际不足规定的工作日数"
                             "（默认 10 个工作日，设置 ZHENGGAI_NOTICE_WORKING_DAYS），或公示自称的工作日数少于规定；"
                             "已撤回的公示不检查。"),
)
def short_notice(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope):
        return
    rule = required_days()
    rows = list(scoped(PublicNotice.objects.exclude(status=PublicNotice.Status.WITHDRAWN), scope)
                .values(*NOTICE_FIELDS).iterator(chunk_size=2000))
    hits: list[tuple[dict[str, Any], int, int]] = []
    for row in rows:
        actual = working_days_between(row["start_date"], row["end_date"])
        required = max(rule, row["working_days"])
        if actual < required or row["working_days"] < rule:
            hits.append((row, actual, required))
    if not hits:
        return
    holidays = _holidays(min(r["start_date"] for r, _a, _q in hits), max(r["end_date"] for r, _a, _q in hits))
    subjects = fetch(PublicNotice, (row["id"] for row, _a, _q in hits), "task")
    for row, actual, required in hits:
        names = sorted({name for date, name in holidays.items() if row["start_date"] <= date <= row["end_date"]})
        facts = {"start": day(row["start_date"]), "end": day(row["end_date"]), "declared": row["working_days"],
                 "actual": actual, "rule": rule, "holidays": "、".join(names)}
        if row["working_days"] < rule:
            reason = _("公示期只定了 %(declared)s 个工作日，少于规定的 %(rule)s 个工作日（%(start)s至%(end)s）。") % facts
        elif names:
            reason = _("公示期%(start)s至%(end)s称 %(declared)s 个工作日，但期间有%(holidays)s，"
                       "按工作日历实际只有 %(actual)s 个工作日。") % facts
        else:
            reason = _("公示期%(start)s至%(end)s称 %(declared)s 个工作日，按工作日历实际只有 %(actual)s 个工作日。") % facts
        yield Finding(check="short_notice", key=f"notice:{row['id']}", reason=reason, subject=subjects[row["id"]],
                      task_id=row["task_id"],
                      evidence={"notice_id": row["id"], "task_id": row["task_id"], "start_date": iso(row["start_date"]),
                                "end_date": iso(row["end_date"]), "declared_working_days": row["working_days"],
                                "actual_working_days": actual, "required_working_days": required,
                                "holidays": names})
