"""整改时限 parsing: the values found in published task tables (DOMAIN §5)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.rectification.deadlines import DeadlineError, deadline_wording, parse_deadline
from zhenggai.rectification.workflow import DeadlineKind as K

D = dt.date

CASES = [
    # (text, date, kind)
    ("2025年12月31日", D(2025, 12, 31), K.BY_DATE),
    ("2025年12月底", D(2025, 12, 31), K.BY_DATE),
    ("2023年9月30日前", D(2023, 9, 30), K.BY_DATE),
    ("2018年8月底前", D(2018, 8, 31), K.BY_DATE),
    ("2025年6月", D(2025, 6, 30), K.BY_DATE),
    ("2024年2月底", D(2024, 2, 29), K.BY_DATE),
    ("2025年2月底前", D(2025, 2, 28), K.BY_DATE),
    ("2025年底", D(2025, 12, 31), K.BY_DATE),
    ("2025年年底", D(2025, 12, 31), K.BY_DATE),
    ("2025年底前", D(2025, 12, 31), K.BY_DATE),
    ("2026年年底前完成", D(2026, 12, 31), K.BY_DATE),
    ("2025年上半年", D(2025, 6, 30), K.BY_DATE),
    ("2025年下半年", D(2025, 12, 31), K.BY_DATE),
    ("2025年第三季度", D(2025, 9, 30), K.BY_DATE),
    ("2025年第一季度末", D(2025, 3, 31), K.BY_DATE),
    ("2025年二季度", D(2025, 6, 30), K.BY_DATE),
    ("2025年10月中旬", D(2025, 10, 20), K.BY_DATE),
    ("2025-12-31", D(2025, 12, 31), K.BY_DATE),
    ("2025/12/31", D(2025, 12, 31), K.BY_DATE),
    ("2025.12.31", D(2025, 12, 31), K.BY_DATE),
    ("2025-12-31 00:00:00", D(2025, 12, 31), K.BY_DATE),
    ("2025.6", D(2025, 6, 30), K.BY_DATE),
    ("2027年", D(2027, 12, 31), K.BY_DATE),
    ("２０２５年１２月３１日", D(2025, 12, 31), K.BY_DATE),  # full-width digits
    (" 2025年 12月\n底前 ", D(2025, 12, 31), K.BY_DATE),
    ("二〇二五年十二月底", D(2025, 12, 31), K.BY_DATE),
    ("二〇二六年三月三十一日前", D(2026, 3, 31), K.BY_DATE),
    ("2025年12月30号", D(2025, 12, 30), K.BY_DATE),
    ("2024年6月底前完成排查，2025年12月底前完成整改", D(2025, 12, 31), K.BY_DATE),
    ("2025-2027年", D(2027, 12, 31), K.BY_DATE),
    ("立行立改", None, K.IMMEDIATE),
    ("长期坚持", None, K.LONG_TERM),
    ("長期堅持", None, K.LONG_TERM),  # traditional characters
    ("立行立改,长期坚持", None, K.IMMEDIATE_LONG_TERM),
    ("立行立改、长期坚持", None, K.IMMEDIATE_LONG_TERM),
    ("立行立改，长期坚持", None, K.IMMEDIATE_LONG_TERM),
    ("立行立改并长期坚持", None, K.IMMEDIATE_LONG_TERM),
    ("立行立改，2025年12月底前完成", D(2025, 12, 31), K.IMMEDIATE),
    ("2025年12月底前完成并长期坚持", D(2025, 12, 31), K.LONG_TERM),
    ("2025年底前完成，长期坚持", D(2025, 12, 31), K.LONG_TERM),
    ("立行立改，2025年6月底前完成，长期坚持", D(2025, 6, 30), K.IMMEDIATE_LONG_TERM),
    ("持续推进", None, K.LONG_TERM),
]


@pytest.mark.parametrize(("text", "date", "kind"), CASES, ids=[c[0].strip() for c in CASES])
def test_parse_deadline(text, date, kind):
    parsed = parse_deadline(text)
    assert (parsed.date, parsed.kind) == (date, kind)
    assert parsed.text == text.strip()  # the original wording is kept


@pytest.mark.parametrize(
    ("value", "date"),
    [
        (dt.date(2025, 12, 31), D(2025, 12, 31)),
        (dt.datetime(2025, 6, 30, 0, 0), D(2025, 6, 30)),
        (46022, D(2025, 12, 31)),  # an Excel serial day number
    ],
)
def test_excel_cells(value, date):
    parsed = parse_deadline(value)
    assert parsed == (parsed.__class__(date, K.BY_DATE, f"{date.year}年{date.month}月{date.day}日"))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2025年13月", "月份 13 无效"),
        ("2025年2月30日", "不是有效的日期"),
        ("2025-00-10", "月份 0 无效"),
        ("明年", "无法识别的整改时限“明年”"),
        ("尽快", "无法识别"),
        ("", "为空"),
        ("   ", "为空"),
        ("1900年底", "年份 1900 不合理"),
    ],
)
def test_invalid_deadlines(text, fragment):
    with pytest.raises(DeadlineError) as info:
        parse_deadline(text)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_none_is_empty():
    with pytest.raises(DeadlineError):
        parse_deadline(None)


@pytest.mark.parametrize(
    ("date", "kind", "text", "expected"),
    [
        (D(2025, 12, 31), K.BY_DATE, "2025年12月底", "2025年12月底"),
        (D(2025, 12, 31), K.BY_DATE, "", "2025年12月31日"),
        (D(2025, 12, 31), K.BY_DATE, "2025年6月", "2025年12月31日"),
        (None, K.IMMEDIATE, "", "立行立改"),
        (D(2025, 6, 30), K.IMMEDIATE, "立行立改", "立行立改，2025年6月30日前"),
        (D(2025, 6, 30), K.LONG_TERM, "", "2025年6月30日前完成，长期坚持"),
        (D(2025, 12, 31), K.IMMEDIATE_LONG_TERM, "立行立改、长期坚持", "立行立改，2025年12月31日前完成，长期坚持"),
        (None, K.IMMEDIATE_LONG_TERM, "", "立行立改，长期坚持"),
    ],
)
def test_deadline_wording_reads_back_the_same(date, kind, text, expected):
    wording = deadline_wording(date, kind, text)
    assert wording == expected
    assert parse_deadline(wording)[:2] == (date, kind)
