"""Statistics of complaint cases (DOMAIN §4), per batch and cumulative, in the terms of official
summaries.

Definitions (for the cases of the queryset given):
- 今日交办: cases of batches handed over on day `on`; 累计交办: all cases;
- 已办结 / 阶段性办结 / 未办结: status done / stage_done / anything else (已交办, 办理中);
- 按时办结: 已办结 with done_at on or before the reply deadline;
- 办结率 = 已办结 ÷ 累计交办; 按时办结率 = 按时办结 ÷ 已办结 (percent, one decimal; None without cases);
- per pollution type: a case counts under each of its types, so the type totals exceed the case count
  whenever a case has several types (`type_mentions` against `typed_cases`);
- the enforcement counters are summed; the fine (元) is shown in 万元 with two decimals in the sentence.
Everything is counted in the database, whatever the number of cases: three queries (the tallies,
types, truthfulness and counters per batch; the tallies per region; the batches).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connections
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Complaint, ComplaintStatus, HandoverBatch, PollutionType, Truthfulness

COUNTERS: tuple[tuple[str, str], ...] = (
    ("ordered_rectify", "家"), ("penalized", "家"), ("fine_amount", "元"), ("investigated", "件"),
    ("admin_detained", "人"), ("criminal_detained", "人"), ("interviewed", "人"), ("held_accountable", "人"),
    ("leads_transferred", "件"),
)
COUNTER_FIELDS = tuple(name for name, _unit in COUNTERS)


def rate(part: int, whole: int) -> Decimal | None:
    """part ÷ whole in percent with one decimal (half up), or None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def wan_yuan(amount: Decimal | int) -> str:
    """元 → 万元 with two decimals: 251500 → "25.15"."""
    return str((Decimal(amount) / 10000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


TALLY_KEYS = ("total", "today", "priority", "done", "stage_done", "not_done", "done_on_time")


def _tally() -> dict[str, Any]:
    return dict.fromkeys(TALLY_KEYS, 0)


def _tally_aggregates() -> dict[str, Any]:
    done = Q(status=ComplaintStatus.DONE)
    return {
        "total": Count("pk"),
        "priority": Count("pk", filter=Q(is_priority=True)),
        "done": Count("pk", filter=done),
        "stage_done": Count("pk", filter=Q(status=ComplaintStatus.STAGE_DONE)),
        "done_on_time": Count("pk", filter=done & Q(done_at__isnull=False, done_at__lte=F("reply_deadline"))),
    }


def _type_aggregates(db: str) -> dict[str, Any]:
    """Per pollution type, the cases naming it; and the cases naming any. The codes are validated on
    every write (`complaint_create`, the import) and kept once per case. PostgreSQL tests the array's
    strings (`?`, `?|`); SQLite, which has no such lookup for arrays, tests the JSON text for the quoted
    code (a non-empty list of codes is one whose text holds a quote)."""
    if connections[db].vendor == "postgresql":
        aggregates = {f"type_{code}": Count("pk", filter=Q(pollution_types__has_key=code))
                      for code in PollutionType.values}
        aggregates["typed"] = Count("pk", filter=Q(pollution_types__has_any_keys=PollutionType.values))
        return aggregates
    aggregates = {f"type_{code}": Count("pk", filter=Q(pollution_types__icontains=f'"{code}"'))
                  for code in PollutionType.values}
    aggregates["typed"] = Count("pk", filter=Q(pollution_types__icontains='"'))
    return aggregates


def _add(tally: dict[str, Any], row: dict[str, Any], handed_today: bool) -> None:
    for key in ("total", "priority", "done", "stage_done", "done_on_time"):
        tally[key] += row[key]
    tally["not_done"] += row["total"] - row["done"] - row["stage_done"]
    tally["today"] += row["total"] if handed_today else 0


def _rates(tally: dict[str, Any]) -> dict[str, Any]:
    tally["done_rate"] = rate(tally["done"], tally["total"])
    tally["on_time_rate"] = rate(tally["done_on_time"], tally["done"])
    return tally


def _type_rows(counts: dict[str, int]) -> list[dict[str, Any]]:
    return [{"code": code, "label": str(label), "count": counts[code]}
            for code, label in PollutionType.choices if counts.get(code)]


def complaint_breakdown(queryset: QuerySet[Complaint], *, by: tuple[str, ...]) -> list[dict[str, Any]]:
    """The cases counted per group of the fields `by` (`n`), with the per-type counts of each group
    (`type_<code>`, `typed`): one aggregate query from which several figures are summed (the
    dashboards count cases by status, by region and by type from one scan)."""
    aggregates = {"n": Count("pk"), **_type_aggregates(queryset.db)}
    if not by:  # one group of all the cases (`values()` without fields would group by every field)
        return [queryset.order_by().aggregate(**aggregates)]
    grouped: Any = queryset.order_by().values(*by).annotate(**aggregates)
    return list(grouped)


def type_figures(groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-type figures of `complaint_statistics` (by_type, typed_cases, type_mentions,
    types_exceed_cases, total) summed over groups of `complaint_breakdown`."""
    counts = {code: sum(g[f"type_{code}"] for g in groups) for code in PollutionType.values}
    typed, mentions = sum(g["typed"] for g in groups), sum(counts.values())
    return {"by_type": _type_rows(counts), "typed_cases": typed, "type_mentions": mentions,
            "types_exceed_cases": mentions > typed, "total": sum(g["n"] for g in groups)}


def complaint_type_counts(queryset: QuerySet[Complaint]) -> dict[str, Any]:
    """Only the per-type figures of `complaint_statistics` (see `type_figures`), in one query."""
    return type_figures(complaint_breakdown(queryset, by=()))


def complaint_statistics(queryset: QuerySet[Complaint], *, on: dt.date | None = None) -> dict[str, Any]:
    """The figures of the cases in `queryset` (already scoped by the caller) on day `on` (today by
    default); see the module for the definitions. Keys: on, the tally keys (total, today, priority,
    done, stage_done, not_done, done_on_time, done_rate, on_time_rate), by_batch, by_region, by_type,
    typed_cases, type_mentions, types_exceed_cases, truthfulness, truthfulness_blank, counters and
    counter_rows (field, label, unit, value). Three queries whatever the number of cases."""
    on = on or timezone.localdate()
    cases = queryset.order_by()
    truth_codes = [*Truthfulness.values, ""]
    grouped: Any = cases.values("batch_id").annotate(
        **_tally_aggregates(), **_type_aggregates(queryset.db),
        **{f"truth_{code}": Count("pk", filter=Q(truthfulness=code)) for code in truth_codes},
        **{f"sum_{name}": Sum(name) for name in COUNTER_FIELDS})
    per_batch: list[dict[str, Any]] = list(grouped)
    batches = {b.pk: b for b in HandoverBatch.objects.filter(pk__in=[r["batch_id"] for r in per_batch])
               .select_related("inspection")} if per_batch else {}
    total = _tally()
    types: Counter[str] = Counter()
    truth: Counter[str] = Counter()
    sums: dict[str, Any] = {name: Decimal(0) if name == "fine_amount" else 0 for name in COUNTER_FIELDS}
    typed_cases = 0
    batch_rows = []
    for row in per_batch:
        batch = batches[row["batch_id"]]
        handed_today = batch.handed_over == on
        _add(total, row, handed_today)
        tally = _tally()
        _add(tally, row, handed_today)
        batch_rows.append({"batch": batch, "inspection": batch.inspection, "number": batch.number,
                           "handed_over": batch.handed_over, **_rates(tally)})
        typed_cases += row["typed"]
        types.update({code: row[f"type_{code}"] for code in PollutionType.values})
        truth.update({code: row[f"truth_{code}"] for code in truth_codes})
        for name in COUNTER_FIELDS:
            sums[name] += row[f"sum_{name}"] or 0
    batch_rows.sort(key=lambda r: (r["handed_over"], r["inspection"].pk, r["number"]))
    by_region: dict[str, dict[str, Any]] = defaultdict(_tally)
    if per_batch:
        today_ids = [pk for pk, b in batches.items() if b.handed_over == on]
        regions: Any = cases.values("region__name", "region_text").annotate(
            **_tally_aggregates(), today=Count("pk", filter=Q(batch_id__in=today_ids)))
        for row in regions:
            tally = by_region[row["region__name"] or row["region_text"] or _("未注明")]
            _add(tally, row, False)
            tally["today"] += row["today"]
    region_rows = [{"name": name, **_rates(tally)} for name, tally in by_region.items()]
    region_rows.sort(key=lambda r: (-r["total"], r["name"]))
    mentions = sum(types.values())
    return {
        "on": on, **_rates(total),
        "by_batch": batch_rows, "by_region": region_rows,
        "by_type": _type_rows(types), "typed_cases": typed_cases, "type_mentions": mentions,
        "types_exceed_cases": mentions > typed_cases,
        "truthfulness": [{"code": code, "label": str(label), "count": truth[code]} for code, label in Truthfulness.choices],
        "truthfulness_blank": truth[""],
        "counters": sums,
        "counter_rows": [(name, counter_label(name), unit, sums[name]) for name, unit in COUNTERS],
    }


def counter_label(name: str) -> str:
    """The counter's name without its unit: 责令整改, 立案处罚…"""
    labels = {
        "ordered_rectify": _("责令整改"), "penalized": _("立案处罚"), "fine_amount": _("罚款金额"),
        "investigated": _("立案侦查"), "admin_detained": _("行政拘留"), "criminal_detained": _("刑事拘留"),
        "interviewed": _("约谈"), "held_accountable": _("问责"), "leads_transferred": _("移送问题线索"),
    }
    return str(labels[name])


def _counter_phrase(name: str, value: Any) -> str:
    phrases = {
        "ordered_rectify": _("责令整改%(n)s家"), "penalized": _("立案处罚%(n)s家"),
        "fine_amount": _("罚款金额%(n)s万元"), "investigated": _("立案侦查%(n)s件"),
        "admin_detained": _("行政拘留%(n)s人"), "criminal_detained": _("刑事拘留%(n)s人"),
        "interviewed": _("约谈%(n)s人"), "held_accountable": _("问责%(n)s人"),
        "leads_transferred": _("移送问题线索%(n)s件"),
    }
    return phrases[name] % {"n": wan_yuan(value) if name == "fine_amount" else value}


def summary_sentence(stats: dict[str, Any]) -> str:
    """The figures as one sentence of an official summary, e.g. "截至2025年3月3日，累计交办群众信访举报件
    395件（其中重点件12件），已办结151件、阶段性办结209件、未办结35件，责令整改88家，立案处罚46家，
    罚款金额25.15万元。" Counters that are zero are left out; so is the priority note without priority cases."""
    from zhenggai.core.templatetags.zg import cn_date

    head = _("截至%(date)s，累计交办群众信访举报件%(total)s件") % {"date": cn_date(stats["on"]), "total": stats["total"]}
    if stats["today"]:
        head += _("（当日交办%(n)s件）") % {"n": stats["today"]}
    if stats["priority"]:
        head += _("，其中重点件%(n)s件") % {"n": stats["priority"]}
    parts = [head, _("已办结%(done)s件、阶段性办结%(stage)s件、未办结%(open)s件") % {
        "done": stats["done"], "stage": stats["stage_done"], "open": stats["not_done"]}]
    parts += [_counter_phrase(name, stats["counters"][name]) for name in COUNTER_FIELDS if stats["counters"][name]]
    return "，".join(parts) + "。"
