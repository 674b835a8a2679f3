"""受理编号: the central pattern's parts, priority marks, free text."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.complaints.numbers import parse_acceptance_number

D = dt.date


@pytest.mark.parametrize(
    ("text", "clean", "channel", "round_", "province", "date", "serial", "priority"),
    [
        ("D3HA202312110042", "D3HA202312110042", "D", "3", "HA", D(2023, 12, 11), "0042", False),
        ("X3HA202312110007", "X3HA202312110007", "X", "3", "HA", D(2023, 12, 11), "0007", False),
        ("X12BJ20240229001", "X12BJ20240229001", "X", "12", "BJ", D(2024, 2, 29), "001", False),
        ("D2CQ2021040112345", "D2CQ2021040112345", "D", "2", "CQ", D(2021, 4, 1), "12345", False),
        # priority marks
        ("D3HA202312110042*", "D3HA202312110042", "D", "3", "HA", D(2023, 12, 11), "0042", True),
        ("D3HA202312110042(*)", "D3HA202312110042", "D", "3", "HA", D(2023, 12, 11), "0042", True),
        ("D3HA202312110042（*）", "D3HA202312110042", "D", "3", "HA", D(2023, 12, 11), "0042", True),
        ("D3HA202312110042 ★", "D3HA202312110042", "D", "3", "HA", D(2023, 12, 11), "0042", True),
        ("X3HA202312110042＊", "X3HA202312110042", "X", "3", "HA", D(2023, 12, 11), "0042", True),
        # lower case and surrounding whitespace
        ("  d3ha202312110042  ", "D3HA202312110042", "D", "3", "HA", D(2023, 12, 11), "0042", False),
        ("x3Ha202312110042★", "X3HA202312110042", "X", "3", "HA", D(2023, 12, 11), "0042", True),
        # the shape without a real date: accepted, parts empty
        ("D3HA202313110042", "D3HA202313110042", "", "", "", None, "", False),
        ("D3HA202302300042*", "D3HA202302300042", "", "", "", None, "", True),
        ("D3HA202300000042", "D3HA202300000042", "", "", "", None, "", False),
        # free text
        ("梁平区2024-15号", "梁平区2024-15号", "", "", "", None, "", False),
        ("渝环督信〔2024〕3号（*）", "渝环督信〔2024〕3号", "", "", "", None, "", True),
        ("A3HA202312110042", "A3HA202312110042", "", "", "", None, "", False),
        ("D3HA2023121100", "D3HA2023121100", "", "", "", None, "", False),  # serial too short
        ("*", "*", "", "", "", None, "", False),  # only a mark: not a number with a mark
        ("", "", "", "", "", None, "", False),
    ],
)
def test_parse(text, clean, channel, round_, province, date, serial, priority):
    parsed = parse_acceptance_number(text)
    assert parsed.raw == text.strip()
    assert parsed.clean == clean
    assert (parsed.channel, parsed.round, parsed.province, parsed.received_date, parsed.serial) == (
        channel, round_, province, date, serial)
    assert parsed.is_priority is priority
    assert parsed.is_structured is bool(channel)


def test_none_is_empty():
    assert parse_acceptance_number(None).clean == ""
