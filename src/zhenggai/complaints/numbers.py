"""受理编号 (acceptance numbers) of complaint cases (DOMAIN §4).

The number is free text; central inspections write `{D|X}{round}{province}{YYYYMMDD}{NNNN}`
(D3HA202312110042: D = phone (来电), X = letter (来信), round 3, province HA, received 2023-12-11,
serial 0042). A trailing `*`, `(*)`, `（*）` or `★` marks a priority case (重点件).

`parse_acceptance_number` keeps the text as given (`raw`), removes the priority mark (`clean`, the key
that identifies the case within its inspection) and fills the parts when `clean` follows the central
pattern with a real date. Anything else is accepted as it is, with the parts left empty.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

NUMBER_PATTERN = re.compile(r"^([DX])(\d{1,2})([A-Z]{2})(\d{8})(\d{3,5})$")
# the marks at the end of the text, half- or full-width
_PRIORITY_MARK = re.compile(r"(?:\s*(?:[(（]\s*[*＊]\s*[)）]|[*＊]|★))+\s*$")


@dataclass(frozen=True)
class ParsedNumber:
    raw: str  # as given, stripped
    clean: str  # without the priority mark; upper-case when it follows the central pattern
    channel: str = ""  # D (来电) or X (来信)
    round: str = ""
    province: str = ""
    received_date: dt.date | None = None
    serial: str = ""
    is_priority: bool = False

    @property
    def is_structured(self) -> bool:
        return bool(self.channel)


def parse_acceptance_number(text: object) -> ParsedNumber:
    """Split a 受理编号 into its parts; see the module docstring. Never raises: free text is allowed."""
    raw = "" if text is None else str(text).strip()
    mark = _PRIORITY_MARK.search(raw)
    is_priority = mark is not None and mark.start() > 0
    clean = raw[: mark.start()].strip() if is_priority and mark is not None else raw
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", clean)).upper()
    match = NUMBER_PATTERN.match(compact)
    if match is None:
        return ParsedNumber(raw=raw, clean=clean, is_priority=is_priority)
    channel, number_round, province, date_text, serial = match.groups()
    try:
        received = dt.date(int(date_text[:4]), int(date_text[4:6]), int(date_text[6:]))
    except ValueError:  # the shape but not a real date: accepted as free text
        return ParsedNumber(raw=raw, clean=compact, is_priority=is_priority)
    return ParsedNumber(raw=raw, clean=compact, channel=channel, round=number_round, province=province,
                        received_date=received, serial=serial, is_priority=is_priority)
