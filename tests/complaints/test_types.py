"""污染类型 cells: several types, synonyms, sub-types, unknown words."""

from __future__ import annotations

import pytest

from zhenggai.complaints.types import simplified_key, split_pollution_types, traditional_variants


@pytest.mark.parametrize(
    ("text", "types", "subtypes", "unknown"),
    [
        ("大气、水", ["air", "water"], [], []),
        ("大气 土壤 水", ["air", "soil", "water"], [], []),
        ("大气、噪音", ["air", "noise"], [], []),
        ("扬尘", ["air"], ["扬尘"], []),
        ("水,其他", ["water", "other"], [], []),
        ("火星", [], [], ["火星"]),
        ("大气，水；土壤;噪声/固废\n生态", ["air", "water", "soil", "noise", "solid_waste", "ecology"], [], []),
        ("地表水、地下水、饮用水、水污染", ["water"], [], []),
        ("气、废气", ["air"], [], []),
        ("油烟、恶臭、异味、VOCs", ["air"], ["油烟", "恶臭", "异味", "VOCs"], []),
        ("vocs", ["air"], ["VOCs"], []),
        ("扬尘、大气", ["air"], ["扬尘"], []),
        ("垃圾", ["solid_waste"], ["垃圾"], []),
        ("固体废物、危险废物", ["solid_waste"], ["危险废物"], []),
        ("危废", ["solid_waste"], ["危险废物"], []),
        ("噪声、噪音", ["noise"], [], []),
        ("生态破坏", ["ecology"], [], []),
        ("辐射；电磁辐射", ["radiation"], [], []),
        ("海洋", ["marine"], [], []),
        ("其它", ["other"], [], []),
        ("大气　水", ["air", "water"], [], []),  # full-width space
        ("大氣、噪聲、揚塵", ["air", "noise"], ["扬尘"], []),  # traditional characters
        ("水、火星、水、月球、火星", ["water"], [], ["火星", "月球"]),
        ("", [], [], []),
        (None, [], [], []),
    ],
)
def test_split(text, types, subtypes, unknown):
    assert split_pollution_types(text) == (types, subtypes, unknown)


def test_keys_and_variants():
    assert simplified_key("是否辦結") == "是否办结"
    assert simplified_key(" 行政區域\n") == "行政区域"
    assert "行政區域" in traditional_variants("行政区域")
    assert traditional_variants("序号") == ("序号",)
