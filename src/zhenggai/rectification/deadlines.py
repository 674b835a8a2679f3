"""整改时限: the free-text deadlines of published task tables, parsed to (date, kind) (DOMAIN §5).

Values in the wild: "2025年12月31日", "2025年12月底", "2023年9月30日前", "2018年8月底前", "2025年6月",
"2025年底前", "2025年上半年", "2025年第三季度", "2025-12-31", Excel date cells, "立行立改", "长期坚持",
"立行立改，长期坚持", "立行立改，2025年12月底前完成", "2025年12月底前完成并长期坚持".

Rules:
- A month without a day means the month's last day; a year without a month means 31 December; a
  half-year or a quarter means its last day; 上旬/中旬/下旬 mean the 10th, the 20th and the month's end.
- When the text names several dates ("2024年6月底前完成排查，2025年12月底前完成整改") the latest counts.
- 立行立改 / 长期坚持 set the kind; with a date the date is kept ("立行立改，2025年12月底前完成" →
  2025-12-31, immediate). Without either, a date gives `by_date`.
- Full-width digits and punctuation, traditional characters of the keywords and Chinese numerals
  ("二〇二五年十二月底") are normalised first.
- Anything else — no date and no keyword, a month 13, 30 February — raises `DeadlineError`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from typing import NamedTuple

from django.utils.translation import gettext as _

from .workflow import DeadlineKind

MIN_YEAR = 1950
MAX_YEAR = 2199
EXCEL_EPOCH = dt.date(1899, 12, 30)


class DeadlineError(ValueError):
    """The text is not a deadline we understand; the message (Chinese) says why."""


class ParsedDeadline(NamedTuple):
    date: dt.date | None
    kind: str
    text: str


IMMEDIATE_WORDS = ("立行立改", "立即整改", "立查立改", "即知即改")
LONG_TERM_WORDS = ("长期坚持", "长期推进", "长期", "常态化", "持续推进", "持续开展")

# Traditional forms of the characters that occur in deadline keywords.
_TRADITIONAL = str.maketrans({"長": "长", "堅": "坚", "續": "续", "進": "进", "態": "态", "後": "后", "內": "内",
                              "個": "个", "號": "号", "開": "开", "週": "周"})

_CN_DIGITS = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_YEAR_RE = re.compile(r"([〇○零一二三四五六七八九]{4})(?=年)")
_CN_NUMBER_RE = re.compile(r"([一二三四五六七八九十两]{1,3})(?=月|日|号|季度)")

_DATE_RE = re.compile(
    r"""
    (?<!\d)(?P<year>\d{4})
    (?:
        [-/.](?P<nm>\d{1,2})(?!\d)(?:[-/.](?P<nd>\d{1,2})(?!\d))?   # 2025-12-31, 2025/12/31, 2025.12
      | 年
        (?:
            (?P<month>\d{1,2})月
            (?:
                (?P<day>\d{1,2})[日号]
              | (?P<xun>上旬|中旬|下旬|中)
              | 份?(?:底|末)?
            )
          | (?P<half>上半年|下半年)
          | 第?(?P<quarter>\d)季度
          | (?:年底|年末|底|末|内|度)?
        )
    )
    """,
    re.VERBOSE,
)


def _cn_number(text: str) -> int:
    """十二 → 12, 三十一 → 31, 二十 → 20, 十 → 10, 九 → 9."""
    if "十" not in text:
        value = 0
        for char in text:
            value = value * 10 + _CN_DIGITS[char]
        return value
    tens, _sep, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def normalise(text: str) -> str:
    """Full-width → half-width, traditional keyword characters → simplified, Chinese numerals of dates
    → Arabic digits, whitespace removed."""
    text = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL)
    text = re.sub(r"\s+", "", text)
    text = _CN_YEAR_RE.sub(lambda m: "".join(str(_CN_DIGITS[c]) for c in m.group(1)), text)
    text = _CN_NUMBER_RE.sub(lambda m: str(_cn_number(m.group(1))), text)
    return text


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _match_date(match: re.Match[str], original: str) -> dt.date:
    year = int(match.group("year"))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DeadlineError(_("整改时限“%(text)s”中的年份 %(year)s 不合理。") % {"text": original, "year": year})
    month_text = match.group("month") or match.group("nm")
    day_text = match.group("day") or match.group("nd")
    if month_text is None:
        if match.group("half") == "上半年":
            return dt.date(year, 6, 30)
        quarter = match.group("quarter")
        if quarter is not None:
            if not 1 <= int(quarter) <= 4:
                raise DeadlineError(_("整改时限“%(text)s”中的季度无效。") % {"text": original})
            return _month_end(year, int(quarter) * 3)
        return dt.date(year, 12, 31)
    month = int(month_text)
    if not 1 <= month <= 12:
        raise DeadlineError(_("整改时限“%(text)s”中的月份 %(month)s 无效。") % {"text": original, "month": month})
    if day_text is not None:
        try:
            return dt.date(year, month, int(day_text))
        except ValueError:
            raise DeadlineError(
                _("整改时限“%(text)s”不是有效的日期（%(year)s年%(month)s月没有%(day)s日）。")
                % {"text": original, "year": year, "month": month, "day": int(day_text)}
            ) from None
    xun = match.group("xun")
    if xun == "上旬":
        return dt.date(year, month, 10)
    if xun in ("中旬", "中"):
        return dt.date(year, month, 20)
    return _month_end(year, month)


def format_date(value: dt.date) -> str:
    """The form used in published tables: 2025年12月31日."""
    return f"{value.year}年{value.month}月{value.day}日"


def parse_deadline(value: str | dt.date | dt.datetime | int | float | None) -> ParsedDeadline:
    """Parse one 整改时限 cell. Dates and datetimes (Excel date cells) and Excel serial day numbers are
    accepted as well as text; `text` keeps the original wording (a date cell gives "2025年12月31日")."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return ParsedDeadline(value, DeadlineKind.BY_DATE, format_date(value))
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 20000 <= value <= 80000:
            day = EXCEL_EPOCH + dt.timedelta(days=int(value))
            return ParsedDeadline(day, DeadlineKind.BY_DATE, format_date(day))
        value = f"{value:g}" if isinstance(value, float) else str(value)
    original = ("" if value is None else str(value)).strip()
    if not original:
        raise DeadlineError(_("整改时限为空。"))
    text = normalise(original)

    dates = [_match_date(m, original) for m in _DATE_RE.finditer(text)]
    if not dates and re.fullmatch(r"\d{4}", text):
        dates = [_match_date(_DATE_RE.match(text + "年"), original)]  # type: ignore[arg-type]
    immediate = any(word in text for word in IMMEDIATE_WORDS)
    long_term = any(word in text for word in LONG_TERM_WORDS)

    if immediate and long_term:
        kind = DeadlineKind.IMMEDIATE_LONG_TERM
    elif immediate:
        kind = DeadlineKind.IMMEDIATE
    elif long_term:
        kind = DeadlineKind.LONG_TERM
    elif dates:
        kind = DeadlineKind.BY_DATE
    else:
        raise DeadlineError(
            _("无法识别的整改时限“%(text)s”：应为日期（如 2025年12月31日、2025年12月底）或“立行立改”“长期坚持”。")
            % {"text": original}
        )
    return ParsedDeadline(max(dates) if dates else None, kind, original)


def deadline_wording(date: dt.date | None, kind: str, text: str = "") -> str:
    """Words for a deadline that `parse_deadline` reads back as the same (date, kind): `text` itself
    when it does, otherwise a wording built from the date and the kind ("立行立改，2025年12月31日前完成，
    长期坚持"). Used where deadlines are written out to be read in again (the dispatch ledger)."""
    if text:
        try:
            parsed = parse_deadline(text)
        except DeadlineError:
            parsed = None
        if parsed is not None and (parsed.date, parsed.kind) == (date, kind):
            return text
    when = format_date(date) if date else ""
    if kind == DeadlineKind.IMMEDIATE:
        return f"立行立改，{when}前" if when else "立行立改"
    if kind == DeadlineKind.LONG_TERM:
        return f"{when}前完成，长期坚持" if when else "长期坚持"
    if kind == DeadlineKind.IMMEDIATE_LONG_TERM:
        return f"立行立改，{when}前完成，长期坚持" if when else "立行立改，长期坚持"
    return when or text
