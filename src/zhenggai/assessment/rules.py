"""The rule kinds the scoring engine knows, their parameters, the starting rule set (DOMAIN §6) and the
plain-words explanation of a rule shown under every ranking."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    YELLOW_REPEATED = "yellow_repeated", _("多次亮黄牌")  # every N-th time one task turns yellow
    RED = "red", _("亮红灯")  # each time a task turns red
    MISSED_REPORT = "missed_report", _("未按时报送进展")  # a round's report missing after its due date, or late
    ACCEPTANCE_RETURNED = "acceptance_returned", _("验收退回")  # an acceptance review returned the task
    REBOUND = "rebound", _("问题反弹")  # a look-back found a rebound (task or complaint)
    COMPLAINT_OVERDUE = "complaint_overdue", _("信访件逾期办理")  # reply later than the deadline, or still none
    EARLY_CLOSURE = "early_closure", _("提前销号")  # closed before the task's deadline
    INTEGRITY_CONFIRMED = "integrity_confirmed", _("真实性核查确认问题")  # a confirmed integrity flag (not in the starting set)


# parameters each kind accepts: name -> (default, minimum)
PARAMS: dict[str, dict[str, tuple[int, int]]] = {
    RuleKind.YELLOW_REPEATED: {"every": (2, 1)},
    RuleKind.EARLY_CLOSURE: {"days_before": (1, 1)},
}

# the starting set of DOMAIN §6: (kind, label, points, params)
STARTING_RULES: tuple[tuple[str, str, Decimal, dict[str, int]], ...] = (
    (RuleKind.YELLOW_REPEATED, "同一任务每两次亮黄牌", Decimal("-1"), {"every": 2}),
    (RuleKind.RED, "任务亮红灯", Decimal("-2"), {}),
    (RuleKind.MISSED_REPORT, "未按时报送整改进展", Decimal("-1"), {}),
    (RuleKind.ACCEPTANCE_RETURNED, "验收被退回", Decimal("-1"), {}),
    (RuleKind.REBOUND, "回头看发现问题反弹", Decimal("-3"), {}),
    (RuleKind.COMPLAINT_OVERDUE, "信访件逾期未办结", Decimal("-1"), {}),
    (RuleKind.EARLY_CLOSURE, "提前完成整改销号", Decimal("0.5"), {"days_before": 1}),
)


def clean_params(kind: str, params: dict[str, Any] | None) -> dict[str, int]:
    """The kind's parameters with defaults filled in; unknown keys dropped; values below the minimum raise
    ValueError."""
    result: dict[str, int] = {}
    for name, (default, minimum) in PARAMS.get(kind, {}).items():
        raw = (params or {}).get(name, default)
        value = int(raw if raw not in (None, "") else default)
        if value < minimum:
            raise ValueError(name)
        result[name] = value
    return result


def _points(points: Decimal) -> str:
    value = abs(points).normalize()
    return f"{value:f}"


def explain(kind: str, points: Decimal, params: dict[str, Any]) -> str:
    """One sentence saying what the rule counts and what it is worth, e.g.
    "同一整改任务每亮黄牌 2 次，其每个整改实施主体扣 1 分。"."""
    verb = _g("扣") if points < 0 else _g("加")
    worth = _g("%(verb)s %(points)s 分") % {"verb": verb, "points": _points(points)}
    p = clean_params(kind, params)
    texts = {
        RuleKind.YELLOW_REPEATED: _g("同一整改任务每亮黄牌 %(every)s 次（自任务创建起累计），其每个整改实施主体%(worth)s。"),
        RuleKind.RED: _g("整改任务每亮一次红灯（逾期未通过验收），其每个整改实施主体%(worth)s。"),
        RuleKind.MISSED_REPORT: _g("调度截止后某单位未报送某项任务的整改进展，或逾期才报送，每项次%(worth)s。"),
        RuleKind.ACCEPTANCE_RETURNED: _g("验收单位每退回一次验收销号申请，任务的每个整改实施主体%(worth)s。"),
        RuleKind.REBOUND: _g("回头看每发现一次问题反弹，原任务的每个整改实施主体（或信访件牵头办理单位）%(worth)s。"),
        RuleKind.COMPLAINT_OVERDUE: _g("信访件超过反馈期限才办结（或阶段性办结），或期限已过仍未办结，每件牵头办理单位%(worth)s。"),
        RuleKind.EARLY_CLOSURE: _g("整改任务在整改时限前至少 %(days_before)s 天销号，其每个整改实施主体%(worth)s。"),
        RuleKind.INTEGRITY_CONFIRMED: _g("真实性核查中督察整改办每确认一个疑点（假装、敷衍、表面整改或“一刀切”），其涉及的单位%(worth)s。"),
    }
    template = texts.get(kind, "%(worth)s")  # type: ignore[call-overload]
    return str(template) % {"worth": worth, **p}
