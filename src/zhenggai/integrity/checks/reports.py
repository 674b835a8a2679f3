"""Checks on progress reports and acceptance applications: texts copied from the previous round or from
another unit, progress that jumps to 100% with nothing new to show, applications without evidence newer
than the last report, and a unit's burst of applications just before the deadlines."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Hashable, Iterable, Iterator
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.rectification.models import AcceptanceApplication, ProgressReport

from .. import text as similarity
from .base import Finding, Scope, register
from .common import day, fetch, iso, nothing_in_scope, scoped, short, unit_names

COUNTED = (ProgressReport.Status.SUBMITTED, ProgressReport.Status.APPROVED)
REPORT_FIELDS = ("id", "task_id", "unit_id", "round_id", "round__period_start", "round__title", "percent",
                 "description", "submitted_at", "approved_at", "created_at")
# percent_jump: a rise to 100% of at least this many points counts as a jump
JUMP = 30
# deadline_burst: applications filed at most LAST_DAYS days before their task's deadline are last-minute;
# BURST of them by one unit within WINDOW days are a burst
LAST_DAYS = 7
WINDOW = dt.timedelta(days=7)
BURST = 3
# evidence uploaded up to a day after the report still counts as the report's (a second batch of photos)
GRACE = dt.timedelta(days=1)
BURST_FIELDS = ("id", "task_id", "unit_id", "applied_at", "task__deadline", "task__title", "task__number")

REPORT_SUBJECT = ("task", "unit", "round")


def _when(row: dict[str, Any]) -> dt.datetime:
    """When a report was sent: submitted, else approved, else created."""
    return row["submitted_at"] or row["approved_at"] or row["created_at"]


def _order(row: dict[str, Any]) -> tuple[Any, dt.datetime, int]:
    return (row["round__period_start"] or dt.date.min, _when(row), row["id"])


def _reports_by_task_unit(task_scope: Scope) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """The counted reports of the scope's tasks, per (task, unit), in round order."""
    series: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    rows = scoped(ProgressReport.objects.filter(status__in=COUNTED), task_scope).values(*REPORT_FIELDS)
    for row in rows.iterator(chunk_size=2000):
        series[(row["task_id"], row["unit_id"])].append(row)
    for items in series.values():
        items.sort(key=_order)
    return series


def _report_finding(code: str, row: dict[str, Any], subject: Any, reason: str, data: dict[str, Any]) -> Finding:
    return Finding(check=code, key=f"report:{row['id']}", reason=reason, subject=subject, task_id=row["task_id"],
                   evidence={"report_id": row["id"], "task_id": row["task_id"], "unit_id": row["unit_id"],
                             "round_id": row["round_id"], **data})


@register(
    "repeated_text", gettext_lazy("进展描述雷同"),
    triggers=("report.submitted", "report.approved"),
    description=gettext_lazy("整改进度描述与同一单位上一轮调度的描述、或同一轮调度中其他单位的描述几乎逐字相同"
                             "（jieba 分词后按句内三词片段比较：Jaccard ≥ 0.6 或包含度 ≥ 0.8，数字和日期不计）；"
                             "少于 8 个词的描述不比较。"),
)
def repeated_text(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope):
        return
    own = _reports_by_task_unit(scope)
    wanted = [row for items in own.values() for row in items if row["round_id"] is not None]
    if not wanted:
        return
    # every counted report of the rounds concerned: other units' texts to compare with
    round_ids = sorted({row["round_id"] for row in wanted})
    in_rounds: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if scope.everything:
        for row in wanted:
            in_rounds[row["round_id"]].append(row)
    else:
        for start in range(0, len(round_ids), 500):
            reports = ProgressReport.objects.filter(status__in=COUNTED, round_id__in=round_ids[start:start + 500])
            for row in reports.values(*REPORT_FIELDS).iterator(chunk_size=2000):
                in_rounds[row["round_id"]].append(row)
    prepared: dict[int, similarity.Prepared] = {}

    def text_of(row: dict[str, Any]) -> similarity.Prepared:
        if row["id"] not in prepared:
            prepared[row["id"]] = similarity.prepare(row["description"])
        return prepared[row["id"]]

    best: dict[int, tuple[float, dict[str, Any], dict[str, Any], str, similarity.Similarity]] = {}

    def offer(row: dict[str, Any], other: dict[str, Any], kind: str, result: similarity.Similarity) -> None:
        known = best.get(row["id"])
        if known is None or result.score > known[0]:
            best[row["id"]] = (result.score, row, other, kind, result)

    # each round's reports filed by shingle
    indexes: dict[int, similarity.ShingleIndex] = {}
    for round_id, rows in in_rounds.items():
        indexes[round_id] = similarity.ShingleIndex()
        for row in rows:
            indexes[round_id].add(row["id"], text_of(row))
    # the same unit's previous round
    for items in own.values():
        for previous, row in zip(items, items[1:], strict=False):
            if row["round_id"] is None or previous["round_id"] == row["round_id"]:
                continue
            a, b = text_of(row), text_of(previous)
            if a.judgeable and b.judgeable:
                result = similarity.similarity(a.shingles, b.shingles)
                if result.alike:
                    offer(row, previous, "previous_round", result)
    # other units' reports of the same round; the later of two alike texts is the copy
    scoped_ids = {row["id"] for row in wanted}
    for round_id, rows in in_rounds.items():
        by_id: dict[Hashable, dict[str, Any]] = {row["id"]: row for row in rows}
        for row in rows:
            if row["id"] not in scoped_ids:
                continue
            for other_id, result in indexes[round_id].alike(text_of(row), exclude=[row["id"]]):
                other = by_id[other_id]
                if other["unit_id"] == row["unit_id"] or _order(other)[1:] > _order(row)[1:]:
                    continue
                offer(row, other, "other_unit", result)
                break
    if not best:
        return
    units = unit_names([hit[2]["unit_id"] for hit in best.values()] + [hit[1]["unit_id"] for hit in best.values()])
    subjects = fetch(ProgressReport, best, *REPORT_SUBJECT)
    for report_id in sorted(best):
        _score, row, other, kind, result = best[report_id]
        facts = {"round": other["round__title"] or "", "unit": units.get(other["unit_id"], ""),
                 "score": f"{result.score:.0%}", "date": day(_when(other))}
        if kind == "previous_round":
            reason = _("本轮整改进度描述与本单位上一轮（%(round)s）的描述几乎相同（相似度 %(score)s），"
                       "疑似照抄旧报告。") % facts
        else:
            reason = _("整改进度描述与%(unit)s在同一轮调度中%(date)s报送的描述几乎相同（相似度 %(score)s），"
                       "疑似抄袭其他单位的报告。") % facts
        yield _report_finding("repeated_text", row, subjects[report_id], reason, {
            "kind": kind, "other_report_id": other["id"], "other_unit_id": other["unit_id"],
            "other_round_id": other["round_id"], "jaccard": round(result.jaccard, 3),
            "containment": round(result.containment, 3), "excerpt": similarity.excerpt(row["description"]),
            "other_excerpt": similarity.excerpt(other["description"]),
        })


def _evidence_times(task_ids: Iterable[int]) -> dict[int, list[dt.datetime]]:
    """task id → upload moments of its evidence, sorted."""
    from zhenggai.evidence.models import Evidence

    times: dict[int, list[dt.datetime]] = defaultdict(list)
    ids = sorted(set(task_ids))
    for start in range(0, len(ids), 500):
        for task_id, uploaded in Evidence.objects.filter(task_id__in=ids[start:start + 500]).values_list(
                "task_id", "uploaded_at").iterator(chunk_size=5000):
            times[task_id].append(uploaded)
    for values in times.values():
        values.sort()
    return times


def _any_between(times: list[dt.datetime], after: dt.datetime | None, until: dt.datetime) -> bool:
    """Is there a moment in (after, until]?"""
    position = bisect_right(times, after) if after is not None else 0
    return position < len(times) and times[position] <= until


@register(
    "percent_jump", gettext_lazy("完成比例突增且无新佐证"),
    triggers=("report.submitted", "report.approved"),
    description=gettext_lazy("完成比例较同一单位上一次报送跃升 30 个百分点以上直达 100%，"
                             "而自上一次报送以来该任务没有上传任何新的佐证材料。"),
)
def percent_jump(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope):
        return
    series = _reports_by_task_unit(scope)
    candidates: list[tuple[dict[str, Any], dict[str, Any] | None]] = []
    for items in series.values():
        for index, row in enumerate(items):
            previous = items[index - 1] if index else None
            before = previous["percent"] if previous else 0
            if row["percent"] >= 100 and 100 - before >= JUMP:
                candidates.append((row, previous))
    if not candidates:
        return
    times = _evidence_times(row["task_id"] for row, _p in candidates)
    hits = [(row, previous) for row, previous in candidates
            if not _any_between(times.get(row["task_id"], []), _when(previous) if previous else None,
                                _when(row) + GRACE)]
    if not hits:
        return
    subjects = fetch(ProgressReport, (row["id"] for row, _p in hits), *REPORT_SUBJECT)
    for row, previous in hits:
        facts = {"before": previous["percent"] if previous else 0, "round": previous["round__title"] if previous else "",
                 "date": day(_when(previous)) if previous else ""}
        if previous:
            reason = _("完成比例由上一次报送（%(round)s，%(date)s）的 %(before)s%% 直接跃升至 100%%，"
                       "其间没有上传任何新的佐证材料。") % facts
        else:
            reason = _("首次报送即称完成 100%%，但此前该任务没有任何佐证材料。") % {}
        yield _report_finding("percent_jump", row, subjects[row["id"]], reason, {
            "percent": row["percent"], "previous_percent": facts["before"],
            "previous_report_id": previous["id"] if previous else None,
            "previous_sent_at": iso(_when(previous)) if previous else None, "sent_at": iso(_when(row)),
            "new_evidence": 0,
        })


@register(
    "application_without_new_evidence", gettext_lazy("验收申请无新佐证"),
    triggers=("task.apply",),
    description=gettext_lazy("验收销号申请所附的佐证材料全部早于该任务最近一次整改进展报送，"
                             "没有反映最后一次报送之后的整改结果。"),
)
def application_without_new_evidence(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope):
        return
    applications = list(scoped(AcceptanceApplication.objects.all(), scope)
                        .values("id", "task_id", "unit_id", "applied_at").iterator(chunk_size=2000))
    if not applications:
        return
    task_ids = sorted({a["task_id"] for a in applications})
    sent: dict[int, list[tuple[dt.datetime, dict[str, Any]]]] = defaultdict(list)
    for start in range(0, len(task_ids), 500):
        rows = ProgressReport.objects.filter(status__in=COUNTED, task_id__in=task_ids[start:start + 500])
        for row in rows.values(*REPORT_FIELDS).iterator(chunk_size=2000):
            sent[row["task_id"]].append((_when(row), row))
    for values in sent.values():
        values.sort(key=lambda item: (item[0], item[1]["id"]))
    newest: dict[int, dt.datetime | None] = {a["id"]: None for a in applications}
    count: dict[int, int] = defaultdict(int)
    through = AcceptanceApplication.evidence.through
    ids = sorted(newest)
    for start in range(0, len(ids), 500):
        for application_id, uploaded in through.objects.filter(
                acceptanceapplication_id__in=ids[start:start + 500]).values_list(
                    "acceptanceapplication_id", "evidence__uploaded_at"):
            count[application_id] += 1
            current = newest[application_id]
            newest[application_id] = uploaded if current is None else max(current, uploaded)
    hits = []
    for application in applications:
        reports = sent.get(application["task_id"], [])
        position = bisect_right([moment for moment, _r in reports], application["applied_at"])
        if not position:
            continue  # no report before the application: nothing to be newer than
        last_moment, last = reports[position - 1]
        latest = newest[application["id"]]
        if latest is None or latest <= last_moment:
            hits.append((application, last, last_moment, latest))
    if not hits:
        return
    subjects = fetch(AcceptanceApplication, (a["id"] for a, *_rest in hits), "task")
    for application, last, last_moment, latest in hits:
        facts = {"date": day(last_moment), "round": last["round__title"] or _("调度"),
                 "latest": day(latest) if latest else ""}
        if latest is None:
            reason = _("验收申请没有附任何佐证材料。")
        else:
            reason = _("验收申请所附佐证材料最晚上传于%(latest)s，早于最近一次进展报送（%(round)s，%(date)s），"
                       "没有反映之后的整改结果。") % facts
        yield Finding(check="application_without_new_evidence", key=f"application:{application['id']}",
                      reason=reason, subject=subjects[application["id"]], task_id=application["task_id"],
                      evidence={"application_id": application["id"], "task_id": application["task_id"],
                                "unit_id": application["unit_id"], "applied_at": iso(application["applied_at"]),
                                "last_report_id": last["id"], "last_report_sent_at": iso(last_moment),
                                "newest_evidence_uploaded_at": iso(latest),
                                "evidence_count": count.get(application["id"], 0)})


@register(
    "deadline_burst", gettext_lazy("临近时限集中申请验收"),
    triggers=("task.apply",),
    description=gettext_lazy("同一单位在 7 天之内提交了 3 件及以上验收销号申请，且每件都在所属任务整改时限前 7 天之内"
                             "提出，疑似赶在时限前突击销号。"),
)
def deadline_burst(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope):
        return
    scoped_rows = scoped(AcceptanceApplication.objects.all(), scope).values_list("unit_id", flat=True)
    units = None if scope.everything else sorted(set(scoped_rows))
    queryset = AcceptanceApplication.objects.filter(task__deadline__isnull=False)
    if units is not None:
        if not units:
            return
        queryset = queryset.filter(unit_id__in=units)
    late: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in queryset.values(*BURST_FIELDS).iterator(chunk_size=2000):
        applied = timezone.localtime(row["applied_at"]).date()
        if 0 <= (row["task__deadline"] - applied).days <= LAST_DAYS:
            late[row["unit_id"]].append(row)
    hits: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
    for rows in late.values():
        rows.sort(key=lambda r: (r["applied_at"], r["id"]))
        for row in rows:
            # the applications within WINDOW of this one, on either side
            group = [r for r in rows if abs(r["applied_at"] - row["applied_at"]) <= WINDOW]
            if len(group) >= BURST and scope.covers_task(row["task_id"]):
                hits[row["id"]] = (row, group)
    if not hits:
        return
    names = unit_names(row["unit_id"] for row, _g in hits.values())
    subjects = fetch(AcceptanceApplication, hits, "task")
    for application_id in sorted(hits):
        row, group = hits[application_id]
        first = min(r["applied_at"] for r in group)
        last = max(r["applied_at"] for r in group)
        facts = {"unit": names.get(row["unit_id"], ""), "count": len(group), "first": day(first), "last": day(last),
                 "days": (row["task__deadline"] - timezone.localtime(row["applied_at"]).date()).days,
                 "deadline": day(row["task__deadline"])}
        reason = _("%(unit)s在%(first)s至%(last)s间集中提交了 %(count)s 件验收申请，均在整改时限前 7 天内；"
                   "本件距时限（%(deadline)s）仅 %(days)s 天。") % facts
        yield Finding(check="deadline_burst", key=f"application:{application_id}", reason=reason,
                      subject=subjects[application_id], task_id=row["task_id"],
                      evidence={"application_id": application_id, "unit_id": row["unit_id"],
                                "applied_at": iso(row["applied_at"]), "deadline": iso(row["task__deadline"]),
                                "days_before_deadline": facts["days"],
                                "burst": [{"application_id": r["id"], "task_id": r["task_id"],
                                           "task": short(f"{r['task__number']}. {r['task__title']}", 40),
                                           "applied_at": iso(r["applied_at"]), "deadline": iso(r["task__deadline"])}
                                          for r in group]})
