"""Masking phone numbers, ID-card numbers and e-mail addresses inside free text."""

from __future__ import annotations

import pytest

from zhenggai.complaints.redaction import find_sensitive, mask_text


@pytest.mark.parametrize(("text", "masked"), [
    ("联系电话13812345678。", "联系电话138****5678。"),
    ("手机+86 13912345678", "手机+86 139****5678"),
    ("座机023-12345678", "座机023-****5678"),
    ("座机(023)12345678", "座机(023)****5678"),
    ("座机（0755）8765432", "座机（0755）***5432"),
    ("身份证号50010119900101123X", "身份证号5001**********123X"),
    ("身份证号500101199001011234", "身份证号5001**********1234"),
    ("旧身份证500101900101123", "旧身份证5001*******1123"),
    ("邮箱zhang.san@example.com联系", "邮箱z***@example.com联系"),
])
def test_mask_text(text, masked):
    assert mask_text(text) == masked


@pytest.mark.parametrize("text", [
    "受理编号D3CQ202312110042",  # acceptance numbers are no phone numbers
    "罚款金额25000元，责令整改3家",
    "2024年12月11日22时许",
    "序号12345678901234567890",  # a long run of digits is no ID number
    "",
])
def test_ordinary_text_is_kept(text):
    assert mask_text(text) == text
    assert find_sensitive(text) == []


def test_find_sensitive_lists_everything_in_order():
    text = "张某（13812345678，50010119900101123X）称，可发邮件至a.b@qq.com或致电023-61234567。"
    assert find_sensitive(text) == ["13812345678", "50010119900101123X", "a.b@qq.com", "023-61234567"]
    masked = mask_text(text)
    assert find_sensitive(masked) == []
    assert masked == "张某（138****5678，5001**********123X）称，可发邮件至a***@qq.com或致电023-****4567。"


def test_none_is_empty():
    assert mask_text(None) == "" and find_sensitive(None) == []
