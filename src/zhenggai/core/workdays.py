"""Chinese working days: statutory holidays and 调休 make-up days from the `WorkCalendar` table.

Rules:
- a day the table knows is a working day exactly when the table says so;
- a day of a year the table does not know at all falls back to Monday–Friday, and
  `year_is_known` lets pages say so visibly;
- counting includes the first day when it is a working day (as public notices count:
  a 10-working-day notice from 2025-01-21 ends on 2025-02-08).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import WorkCalendar
from .process_cache import ProcessCache

# The calendar is read on every deadline computed: each process keeps the years it has read, and drops them
# when the table changes — in its own process at once, in other app servers and workers within
# CHECK_SECONDS through the shared cache (core/process_cache.py), after MAX_AGE where the cache is not shared.
CHECK_SECONDS = 5.0
MAX_AGE = 300.0
_years: ProcessCache[dict[int, dict[dt.date, bool] | None]] = ProcessCache(
    "workdays", dict, max_age=MAX_AGE, check_seconds=CHECK_SECONDS)


def _year_table(year: int) -> dict[dt.date, bool] | None:
    years = _years.get()
    if year not in years:
        rows = dict(WorkCalendar.objects.filter(date__year=year).values_list("date", "is_workday"))
        years[year] = rows or None
    return years[year]


@receiver(post_save, sender=WorkCalendar)
@receiver(post_delete, sender=WorkCalendar)
def _forget_cache(**_: object) -> None:
    _years.drop_local()
    transaction.on_commit(clear_cache)  # a reader may have cached the old rows meanwhile


def clear_cache() -> None:
    """Forget the calendar here and, through the shared cache, in every other process."""
    _years.invalidate()


def year_is_known(year: int) -> bool:
    """True when the calendar table holds the year; otherwise dates fall back to Monday–Friday."""
    return _year_table(year) is not None


def is_working_day(day: dt.date) -> bool:
    table = _year_table(day.year)
    if table is not None and day in table:
        return table[day]
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date on which a period of `days` working days that begins on `start` ends.

    `start` counts as the first day when it is a working day; otherwise counting begins at the
    next working day. `days` must be at least 1.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    day = start
    counted = 0
    while True:
        if is_working_day(day):
            counted += 1
            if counted == days:
                return day
        day += dt.timedelta(days=1)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days from `start` to `end`, both included; negative when `end` is before `start`."""
    if end < start:
        return -working_days_between(end, start)
    total = 0
    day = start
    while day <= end:
        total += is_working_day(day)
        day += dt.timedelta(days=1)
    return total


def unknown_years(*days: dt.date | None) -> list[int]:
    """The years among `days` that the calendar does not know (for the visible fallback note)."""
    return sorted({d.year for d in days if d is not None and not year_is_known(d.year)})


def seed_from_chinesecalendar(model: type[WorkCalendar] = WorkCalendar) -> int:
    """Fill the table with every year `chinesecalendar` knows, keeping rows already there
    (edited by hand or imported). Returns the number of days written. `model` lets a data
    migration pass its historical model.
    """
    import chinese_calendar

    WorkCalendar = model  # noqa: N806 - the historical model in migrations

    first = dt.date(2004, 1, 1)
    existing = set(WorkCalendar.objects.values_list("date", flat=True))
    rows = []
    year = first.year
    while True:
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            break
        day = dt.date(year, 1, 1)
        while day.year == year:
            if day not in existing:
                on_holiday, name = chinese_calendar.get_holiday_detail(day)
                workday = chinese_calendar.is_workday(day)
                label = ""
                if name:
                    label = _holiday_label(name, workday)
                rows.append(
                    WorkCalendar(
                        date=day, is_workday=workday, name=label, source="chinesecalendar"
                    )
                )
            day += dt.timedelta(days=1)
        year += 1
    WorkCalendar.objects.bulk_create(rows, batch_size=2000)
    written = len(rows)
    clear_cache()
    return written


_HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_label(name: str, workday: bool) -> str:
    label = _HOLIDAY_NAMES.get(name, name)
    return f"{label}调休上班" if workday else label
