"""Masking personal data inside free text (DOMAIN §4): complaint summaries and handling texts may quote
a complainant's phone number, ID-card number or e-mail address. Pages for units, exports and everything
public show such text through `mask_text`; `find_sensitive` lets the office see what would be masked.

What is recognised (never inside a longer run of digits):
- mobile numbers 1[3-9]xxxxxxxxx (optionally +86 / 86 before) → 138****5678;
- landlines with an area code: 023-12345678, (023)12345678, （023）12345678, 023 12345678
  → 023-****5678 (the area code and the last four digits stay);
- ID-card numbers: 18 characters (17 digits and a digit or X) → 5001**********123X, and the old
  15-digit numbers → 5001*******1234;
- e-mail addresses → z***@example.com (the first character of the name and the domain stay).
"""

from __future__ import annotations

import re

_ID18 = r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
_ID15 = r"(?<![0-9A-Za-z])\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])"
_MOBILE = r"(?<![0-9A-Za-z])(?:(?:\+?86)[- ]?)?1[3-9]\d{9}(?![0-9A-Za-z])"
_LANDLINE = (
    r"(?<![0-9A-Za-z])(?:[(（]0\d{2,3}[)）]\s?|0\d{2,3}[- ])\d{7,8}(?:-\d{1,5})?(?![0-9A-Za-z])"
)
_EMAIL = r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?![A-Za-z0-9-])"

# ID numbers first: an 18-digit number must not be read as something shorter
PATTERN = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in (
    ("id18", _ID18), ("id15", _ID15), ("email", _EMAIL), ("landline", _LANDLINE), ("mobile", _MOBILE),
)))


def _mask_digits(value: str, keep_start: int, keep_end: int) -> str:
    middle = len(value) - keep_start - keep_end
    return value[:keep_start] + "*" * max(middle, 0) + value[len(value) - keep_end:]


def _mask_mobile(value: str) -> str:
    digits = re.sub(r"\D", "", value)[-11:]
    prefix = value[: len(value) - 11] if value.endswith(digits) else ""
    return prefix + _mask_digits(digits, 3, 4)


def _mask_landline(value: str) -> str:
    match = re.match(r"^([(（]?0\d{2,3}[)）]?[- ]?\s?)(\d{7,8})(.*)$", value)
    if match is None:
        return "*" * len(value)
    area, number, extension = match.groups()
    return area + _mask_digits(number, 0, 4) + extension


def _mask_email(value: str) -> str:
    name, _at, domain = value.partition("@")
    return f"{name[:1]}***@{domain}"


def _mask(match: re.Match[str]) -> str:
    value = match.group(0)
    kind = match.lastgroup
    if kind in ("id18", "id15"):
        return _mask_digits(value, 4, 4)
    if kind == "email":
        return _mask_email(value)
    if kind == "landline":
        return _mask_landline(value)
    return _mask_mobile(value)


def mask_text(text: str | None) -> str:
    """`text` with every phone number, ID-card number and e-mail address masked (see the module)."""
    if not text:
        return ""
    return PATTERN.sub(_mask, text)


def find_sensitive(text: str | None) -> list[str]:
    """The phone numbers, ID-card numbers and e-mail addresses in `text`, in order of appearance."""
    if not text:
        return []
    return [m.group(0) for m in PATTERN.finditer(text)]
