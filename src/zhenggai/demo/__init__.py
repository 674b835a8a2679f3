"""The demo: the Liangping inspection of 2024 (real facts) with sample tasks, units and accounts.

`zhenggai load-demo` loads it (see `loader.load_demo`). The constants below are plain data, importable
without Django, so that the Makefile, the README and the login page can name the demo accounts.
"""

from __future__ import annotations

DEMO_PASSWORD = "zhenggai-demo"

# (username, role code, organization name): the accounts that the guides and the login page name.
DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("office", "office", "梁平区生态环境保护督察整改工作领导小组办公室"),
    ("staff", "unit_staff", "区住房城乡建委"),
    ("head", "unit_head", "区住房城乡建委"),
    ("staff2", "unit_staff", "双桂街道"),
    ("head2", "unit_head", "双桂街道"),
    ("acceptor", "acceptor", "区生态环境局"),
    ("leader", "leader", "梁平区人民政府"),
    ("discipline", "discipline", "区纪委监委"),
    ("admin", "admin", "梁平区生态环境保护督察整改工作领导小组办公室"),
]

# More units' people, so that lists and rankings are not about two units only (same password).
EXTRA_DEMO_ACCOUNTS: list[tuple[str, str, str]] = [
    ("staff3", "unit_staff", "区城市管理局"),
    ("head3", "unit_head", "区城市管理局"),
    ("staff4", "unit_staff", "礼让镇"),
    ("head4", "unit_head", "礼让镇"),
    ("acceptor2", "acceptor", "区水利局"),
]

ALL_DEMO_ACCOUNTS: list[tuple[str, str, str]] = DEMO_ACCOUNTS + EXTRA_DEMO_ACCOUNTS

__all__ = ["ALL_DEMO_ACCOUNTS", "DEMO_ACCOUNTS", "DEMO_PASSWORD", "EXTRA_DEMO_ACCOUNTS"]
