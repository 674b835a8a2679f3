"""Reads of the integrity review. Every read starts from `policies.flags_for` (the user's scope).

- `flag_list_for_user(user, filters)`: the queue, newest first, filtered by check, status, unit, region,
  task, complaint and whether the last run still found the flag; a fixed number of queries however many
  rows are shown (related rows are joined);
- `flag_check_counts` / `flag_status_counts`: the counts above the queue (each ignores its own filter);
- `flag_for_user`: one flag or NotFound (hidden and missing alike);
- `flags_for_task` / `flags_for_complaint`: the panel on the task and complaint pages;
- `evidence_rows`: the data behind a flag, made readable (links to the tasks, files and complaints it
  names, excerpts side by side).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization, Region
from zhenggai.accounts.policies import user_region
from zhenggai.core.errors import NotFound
from zhenggai.core.models import Event

from .checks import load_all
from .models import IntegrityFlag
from .policies import flags_for, may_read_flags, privileged
from .workflow import FlagStatus

CURRENT = "current"  # found by the last run
GONE = "gone"  # no longer found


def _int(value: Any) -> int | None:
    text = str(value or "").replace("\x00", "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


@dataclass
class FlagFilters:
    check: str = ""
    status: str = ""
    unit: int | None = None
    region: int | None = None
    task: int | None = None
    complaint: int | None = None
    found: str = ""  # CURRENT, GONE or "" (both)

    @classmethod
    def from_query(cls, params: Mapping[str, Any]) -> FlagFilters:
        check = str(params.get("check") or "").replace("\x00", "")
        status = str(params.get("status") or "")
        found = str(params.get("found") or "")
        return cls(
            check=check if check in load_all() else "",
            status=status if status in FlagStatus.values else "",
            unit=_int(params.get("unit")), region=_int(params.get("region")),
            task=_int(params.get("task")), complaint=_int(params.get("complaint")),
            found=found if found in (CURRENT, GONE) else "",
        )

    def without(self, name: str) -> FlagFilters:
        values = dict(self.__dict__)
        values[name] = "" if isinstance(values[name], str) else None
        return FlagFilters(**values)


def _unit_condition(unit_id: int) -> Q:
    """The flags about a unit: those naming it (a report's, application's or upload's unit) and, when a
    flag names no unit, those of its task's implementing units or its complaint's lead unit."""
    from zhenggai.rectification.models import Task

    implementing = Task.implementing_units.through.objects.filter(task_id=OuterRef("task_id"),
                                                                  organization_id=unit_id)
    return Q(unit_id=unit_id) | (Q(unit__isnull=True) & (Q(Exists(implementing)) | Q(complaint__lead_unit_id=unit_id)))


def _filtered(user: Any, filters: FlagFilters) -> QuerySet[IntegrityFlag]:
    qs = flags_for(user)
    if filters.check:
        qs = qs.filter(check_code=filters.check)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.unit:
        qs = qs.filter(_unit_condition(filters.unit))
    if filters.region:
        region = Region.objects.filter(pk=filters.region).first()
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    if filters.task:
        qs = qs.filter(task_id=filters.task)
    if filters.complaint:
        qs = qs.filter(complaint_id=filters.complaint)
    if filters.found:
        qs = qs.filter(still_found=filters.found == CURRENT)
    return qs


def flag_list_for_user(user: Any, filters: FlagFilters | None = None) -> QuerySet[IntegrityFlag]:
    """The queue: flags the user may read, filtered, newest first (related rows joined)."""
    return (_filtered(user, filters or FlagFilters())
            .select_related("task", "task__plan", "complaint", "unit", "region", "decided_by")
            .order_by("-first_found", "-id"))


def flag_check_counts(user: Any, filters: FlagFilters) -> list[tuple[str, str, int, str]]:
    """(check code, label, flags, description) for every registered check, under the other filters."""
    counts = dict(_filtered(user, filters.without("check")).order_by().values_list("check_code")
                  .annotate(n=Count("pk")).values_list("check_code", "n"))
    return [(code, str(check.label), counts.get(code, 0), str(check.description or ""))
            for code, check in sorted(load_all().items())]


def flag_status_counts(user: Any, filters: FlagFilters) -> dict[str, int]:
    counts = dict(_filtered(user, filters.without("status")).order_by().values_list("status")
                  .annotate(n=Count("pk")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in FlagStatus.values}


def flag_for_user(user: Any, pk: int) -> IntegrityFlag:
    try:
        return (flags_for(user).select_related("task", "task__plan", "complaint", "unit", "region", "decided_by",
                                               "accountability_case").get(pk=pk))
    except IntegrityFlag.DoesNotExist as exc:
        raise NotFound() from exc


def flags_for_task(user: Any, task: Any) -> list[IntegrityFlag]:
    """The flags of a task for the task page's panel; empty for those who may not see flags."""
    if not may_read_flags(user):
        return []
    return list(flags_for(user).filter(task_id=task.pk).select_related("unit").order_by("-first_found", "-id"))


def flags_for_complaint(user: Any, complaint: Any) -> list[IntegrityFlag]:
    if not may_read_flags(user):
        return []
    return list(flags_for(user).filter(complaint_id=complaint.pk).select_related("unit")
                .order_by("-first_found", "-id"))


def flag_history(flag: IntegrityFlag) -> QuerySet[Event]:
    return Event.objects.filter(chain__key=f"integrityflag:{flag.pk}").order_by("seq")


def unit_choices(user: Any) -> QuerySet[Organization]:
    """The units named by the flags the user sees, and the implementing units of their tasks."""
    from zhenggai.rectification.models import Task

    flags = flags_for(user)
    implementing = Task.implementing_units.through.objects.filter(task__in=flags.values("task_id"))
    return (Organization.objects.filter(Q(pk__in=flags.values("unit_id"))
                                        | Q(pk__in=implementing.values("organization_id")))
            .order_by("kind", "sort_order", "id"))


def region_choices(user: Any) -> QuerySet[Region]:
    """The user's region and those below it (everything for superusers and the system)."""
    if privileged(user):
        return Region.objects.order_by("path")
    region = user_region(user)
    if region is None:
        return Region.objects.none()
    return Region.objects.filter(path__startswith=region.path).order_by("path")


# ── the data behind a flag, made readable ──

LABELS: dict[str, Any] = {
    "similarity": _("相似度"), "jaccard": _("相似度"), "containment": _("包含度"), "distance": _("距离"),
    "distance_m": _("距离（米）"), "distance_km": _("距离（千米）"), "hamming": _("哈希差异（位）"),
    "phash": _("感知哈希"), "sha256": _("SHA-256"), "captured_at": _("拍摄时间"), "uploaded_at": _("上传时间"),
    "task_created": _("任务创建时间"), "created_at": _("创建时间"), "excerpt": _("摘录"), "text": _("原文"),
    "other_excerpt": _("对照摘录"), "previous_excerpt": _("上一轮摘录"), "phrase": _("用语"), "phrases": _("用语"),
    "working_days": _("公示工作日"), "required_days": _("规定工作日"), "rule_days": _("规定工作日"),
    "percent": _("完成比例"), "previous_percent": _("上一次完成比例"), "applications": _("申请数"),
    "deadline": _("整改时限"), "lat": _("纬度"), "lon": _("经度"), "truthfulness": _("是否属实"),
    "unit": _("单位"), "round": _("调度"), "report": _("整改进展"), "other_report": _("对照进展"),
    "task": _("整改任务"), "other_task": _("对照任务"), "tasks": _("整改任务"), "evidence": _("佐证材料"),
    "other_evidence": _("对照佐证材料"), "complaint": _("信访件"), "other_complaint": _("对照信访件"),
    "last_report": _("最近一次进展"), "last_report_at": _("最近一次进展时间"), "notice": _("销号公示"),
    "application": _("验收申请"), "measure": _("整改措施"), "field": _("字段"), "window_days": _("时间窗（天）"),
    "name": _("文件名"), "other_name": _("对照文件名"), "other_unit": _("对照单位"), "other_round": _("对照调度"),
    "relation": _("关系"), "kind": _("类型"), "start_date": _("起始日期"), "end_date": _("截止日期"),
    "declared_working_days": _("公示所定工作日"), "actual_working_days": _("实际工作日"),
    "required_working_days": _("规定工作日"), "holidays": _("期间节假日"), "hamming_distance": _("哈希差异（位）"),
    "colour_hash_distance": _("彩色哈希差异（位）"), "gps": _("拍摄位置"), "place": _("登记点位"),
    "limit_km": _("限值（千米）"), "since": _("任务产生时间"), "rule": _("规则"),
}
PAIRS = (("", "other_"), ("", "previous_"), ("this_", "other_"), ("current_", "previous_"))


@dataclass
class Row:
    """One line of the data: a label and a value of a kind the template knows how to show."""

    key: str
    label: str
    kind: str  # "text", "long", "links", "pair", "rows"
    value: Any = None
    other: Any = None
    other_label: str = ""


def _link_kind(key: str) -> str | None:
    name = key.lower()
    for kind in ("complaint", "evidence", "task"):
        if kind in name:
            return kind
    return None


def _links(kind: str, value: Any) -> list[tuple[str, str]] | None:
    ids = value if isinstance(value, list) else [value]
    if not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        return None
    names = {"task": "task_detail", "complaint": "complaint_detail", "evidence": "evidence_download"}
    prefix = {"task": _("任务"), "complaint": _("信访件"), "evidence": _("文件")}[kind]
    return [(reverse(names[kind], args=[i]), f"{prefix} #{i}") for i in ids]


def _label(key: str) -> str:
    base = key[:-3] if key.endswith("_id") else key
    return str(LABELS.get(key) or LABELS.get(base) or key)


def _plain(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return f"{parsed.year}年{parsed.month}月{parsed.day}日" + (
            f" {parsed:%H:%M}" if len(value) > 10 else "")
    return "" if value is None else str(value)


def _unit_names(data: Mapping[str, Any]) -> dict[int, str]:
    ids = {v for k, v in data.items() if "unit" in k and isinstance(v, int) and not isinstance(v, bool)}
    return dict(Organization.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}


def evidence_rows(data: Mapping[str, Any], depth: int = 0) -> list[Row]:
    """The flag's data as rows: ids of tasks, complaints and evidence as links, units by name, texts that
    come in pairs (`excerpt` / `other_excerpt`, `previous_…`) side by side, nested objects as nested rows;
    empty values are left out."""
    rows: list[Row] = []
    used: set[str] = set()
    units = _unit_names(data)
    for key, value in data.items():
        if key in used or value is None or value == [] or value == "":
            continue
        partner = _partner(key, data)
        if partner is not None and isinstance(value, str):
            used.add(partner)
            rows.append(Row(key, _label(key), "pair", _plain(value), _plain(data[partner]), _label(partner)))
            continue
        if "unit" in key and isinstance(value, int) and value in units:
            rows.append(Row(key, _label(key), "text", units[value]))
            continue
        kind = _link_kind(key)
        links = _links(kind, value) if kind else None
        if links is not None:
            rows.append(Row(key, _label(key), "links", links))
        elif isinstance(value, dict) and depth < 3:
            rows.append(Row(key, _label(key), "rows", evidence_rows(value, depth + 1)))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and depth < 3:
            rows.append(Row(key, _label(key), "rows", [Row(str(i + 1), str(i + 1), "rows",
                                                            evidence_rows(v, depth + 1))
                                                        for i, v in enumerate(value[:50])]))
        elif isinstance(value, str) and len(value) > 40:
            rows.append(Row(key, _label(key), "long", value))
        else:
            rows.append(Row(key, _label(key), "text", _plain(value)))
    return rows


def _partner(key: str, data: Mapping[str, Any]) -> str | None:
    for first, second in PAIRS:
        if first and not key.startswith(first):
            continue
        stem = key[len(first):]
        candidate = second + stem
        if candidate != key and isinstance(data.get(candidate), str):
            return candidate
    return None
