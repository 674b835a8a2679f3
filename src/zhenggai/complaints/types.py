"""污染类型 of complaint cases (DOMAIN §4): one cell names several types ("大气、水", "大气 土壤 水"),
in words of their own (噪音 for 噪声, 气 for 大气) or as sub-types (扬尘, 油烟, 恶臭 → 大气).

`split_pollution_types` turns such a cell into the codes of `PollutionType`, the sub-types named and the
words it does not know (which the importer reports as problems). `simplified_key` is the comparable form
of a cell (headers and values of complaint tables) with the traditional characters these tables use.
"""

from __future__ import annotations

import re
from typing import Any

from zhenggai.reports.tables import header_key

from .models import PollutionType

# Traditional → simplified for characters of complaint tables that `reports.tables.header_key` leaves as
# they are (it knows those of task tables).
_TRADITIONAL_EXTRA = "結區調縣劃鎮鄉氣聲廢態輻揚塵煙惡異險電汙來淨環們"
_SIMPLIFIED_EXTRA = "结区调县划镇乡气声废态辐扬尘烟恶异险电污来净环们"
_EXTRA_MAP = str.maketrans(_TRADITIONAL_EXTRA, _SIMPLIFIED_EXTRA)
_TO_TRADITIONAL_EXTRA = str.maketrans(_SIMPLIFIED_EXTRA, _TRADITIONAL_EXTRA)


def simplified_key(value: Any) -> str:
    """`header_key` (no whitespace or bracketed notes, half-width, simplified) plus the characters above."""
    return header_key(value).translate(_EXTRA_MAP)


def traditional_variants(*names: str) -> tuple[str, ...]:
    """The names and their traditional spelling, for header aliases matched with `header_key`."""
    variants: list[str] = []
    for name in names:
        for variant in (name, name.translate(_TO_TRADITIONAL_EXTRA)):
            if variant not in variants:
                variants.append(variant)
    return tuple(variants)


# the words of each type, and the sub-types (word → sub-type name) that add it
_TYPE_WORDS: dict[PollutionType, tuple[tuple[str, ...], dict[str, str]]] = {
    PollutionType.WATER: (("水", "水污染", "地表水", "地下水", "饮用水", "水环境", "废水", "污水"), {}),
    PollutionType.AIR: (("大气", "气", "大气污染", "废气", "空气", "大气环境"),
                        {"扬尘": "扬尘", "油烟": "油烟", "恶臭": "恶臭", "臭气": "恶臭", "异味": "异味",
                         "VOCs": "VOCs", "VOC": "VOCs"}),
    PollutionType.SOIL: (("土壤", "土壤污染"), {}),
    PollutionType.SOLID_WASTE: (("固废", "固体废物", "固体废弃物", "固废污染"),
                                {"垃圾": "垃圾", "生活垃圾": "垃圾", "危废": "危险废物", "危险废物": "危险废物"}),
    PollutionType.NOISE: (("噪声", "噪音", "噪声污染", "噪音污染"), {}),
    PollutionType.ECOLOGY: (("生态", "生态破坏", "生态环境"), {}),
    PollutionType.RADIATION: (("辐射", "电磁辐射", "辐射污染"), {}),
    PollutionType.MARINE: (("海洋", "海洋污染"), {}),
    PollutionType.OTHER: (("其他", "其它", "其他污染"), {}),
}
# comparable word → (type code, sub-type or "")
_WORDS: dict[str, tuple[str, str]] = {}
for _type, (_words, _subtypes) in _TYPE_WORDS.items():
    _WORDS.update({_word.casefold(): (_type.value, "") for _word in _words})
    _WORDS.update({_word.casefold(): (_type.value, _sub) for _word, _sub in _subtypes.items()})
_SEPARATORS = re.compile(r"[、，,;；/／|\s\u3000]+")


def _lookup(word: str) -> tuple[str, str] | None:
    """`simplified_key` drops bracketed notes too: 其他（光污染） → 其他."""
    return _WORDS.get(simplified_key(word).casefold())


def split_pollution_types(text: Any) -> tuple[list[str], list[str], list[str]]:
    """The type codes, sub-types and unknown words of a 污染类型 cell, each in order without duplicates.
    Words are separated by 、，, ; ； / spaces or line breaks; a sub-type adds its type."""
    types: list[str] = []
    subtypes: list[str] = []
    unknown: list[str] = []
    for word in _SEPARATORS.split("" if text is None else str(text)):
        word = word.strip()
        if not word:
            continue
        found = _lookup(word)
        if found is None:
            if word not in unknown:
                unknown.append(word)
            continue
        code, subtype = found
        if code not in types:
            types.append(code)
        if subtype and subtype not in subtypes:
            subtypes.append(subtype)
    return types, subtypes, unknown


def pollution_type_labels(codes: list[str]) -> list[str]:
    labels = dict(PollutionType.choices)
    return [str(labels.get(code, code)) for code in codes]


KNOWN_WORDS = ("水", "大气", "土壤", "固废", "噪声", "生态", "辐射", "海洋", "其他")
