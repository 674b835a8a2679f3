import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zhenggai.core import workdays
from zhenggai.core.models import WorkCalendar

D = dt.date


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "days", "end"),
    [
        (D(2025, 1, 21), 10, D(2025, 2, 8)),  # spans the Spring Festival; 1-26 and 2-8 are make-up working days
        (D(2025, 9, 4), 10, D(2025, 9, 17)),
        (D(2025, 9, 26), 10, D(2025, 10, 15)),  # National Day + Mid-autumn 2025; 9-28 and 10-11 are make-up days
        (D(2025, 1, 1), 1, D(2025, 1, 2)),  # New Year's Day is a holiday: counting starts the next working day
        (D(2025, 3, 3), 1, D(2025, 3, 3)),  # the first day counts
        (D(2026, 2, 13), 5, D(2026, 2, 26)),  # Spring Festival 2026; 2-14 is a make-up day
    ],
)
def test_add_working_days(start, days, end):
    assert workdays.add_working_days(start, days) == end


@pytest.mark.django_db
def test_working_days_between_is_inverse_of_add():
    assert workdays.working_days_between(D(2025, 1, 21), D(2025, 2, 8)) == 10
    assert workdays.working_days_between(D(2025, 2, 8), D(2025, 1, 21)) == -10
    assert workdays.working_days_between(D(2025, 10, 1), D(2025, 10, 8)) == 0


@pytest.mark.django_db
def test_make_up_day_and_holiday():
    assert workdays.is_working_day(D(2025, 1, 26))  # Sunday, make-up working day
    assert not workdays.is_working_day(D(2025, 1, 29))  # Wednesday in the Spring Festival
    assert WorkCalendar.objects.get(date=D(2025, 1, 29)).name == "春节"


@pytest.mark.django_db
def test_unknown_year_falls_back_to_weekdays_and_says_so(capsys):
    assert not workdays.year_is_known(2027)
    assert workdays.year_is_known(2025)
    assert workdays.add_working_days(D(2027, 1, 1), 1) == D(2027, 1, 1)  # a Friday; no holiday data
    assert not workdays.is_working_day(D(2027, 1, 2))
    call_command("calendar", "add", "2027-01-04", "3")
    out, err = capsys.readouterr()
    assert out.strip() == "2027-01-06"
    assert "2027" in err and "周一至周五" in err


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "expected"), [("2025-01-21", "2025-02-08"), ("2025-09-04", "2025-09-17")])
def test_calendar_command_vectors(capsys, start, expected):
    call_command("calendar", "add", start, "10")
    assert capsys.readouterr().out.strip() == expected


@pytest.mark.django_db
def test_edit_in_table_changes_counting():
    WorkCalendar.objects.filter(date=D(2025, 9, 5)).update(is_workday=False)
    workdays.clear_cache()
    assert workdays.add_working_days(D(2025, 9, 4), 10) == D(2025, 9, 18)
    day = WorkCalendar.objects.get(date=D(2025, 9, 8))
    day.is_workday = False
    day.save()  # saving through the model clears the cache by itself
    assert workdays.add_working_days(D(2025, 9, 4), 10) == D(2025, 9, 19)


@pytest.mark.django_db
def test_csv_import_all_or_nothing(tmp_path):
    good = tmp_path / "cal.csv"
    good.write_text("date,is_workday,name\n2027-01-01,0,元旦\n2027-02-06,1,春节调休上班\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,is_workday,name\n2027-10-01,0,国庆节\n2027-13-01,0,x\n2027-10-02,maybe,\n", encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("calendar", "import", str(bad))
    assert "第 3 行" in str(info.value) and "第 4 行" in str(info.value)
    assert not WorkCalendar.objects.filter(date__year=2027).exists()
    call_command("calendar", "import", str(good))
    assert workdays.year_is_known(2027)
    assert workdays.is_working_day(D(2027, 2, 6))  # a Saturday made a working day
    assert not workdays.is_working_day(D(2027, 1, 1))
