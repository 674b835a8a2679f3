"""Reads of complaint cases for pages, exports and jobs. Every read starts from `scope_for`.

Warnings (DOMAIN §6, as for tasks, counted in Chinese working days):
- red 红灯: the reply deadline has passed and the case is not 已办结;
- yellow 黄牌: the deadline falls within N working days from today, today counted
  (setting ZHENGGAI_COMPLAINT_YELLOW_DAYS, default 2);
- green 正常: otherwise, and always for 已办结 cases and cases merged into another one.
They are computed, not stored: `complaint_warning` for one case, `annotate_complaint_warning` in SQL.

Repeats: `repeat_candidates` proposes earlier cases of the same region tree whose summary and region,
segmented into words by jieba, overlap this case's words (Jaccard similarity of the word sets, stop
words and single characters left out) by at least REPEAT_THRESHOLD.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from zhenggai.accounts.models import Organization, Region
from zhenggai.accounts.policies import complaint_party_q, get_for_user, scope_for
from zhenggai.core.search import search_filter, segment
from zhenggai.core.workdays import add_working_days

from .models import Complainant, Complaint, ComplaintStatus, HandoverBatch

RED, YELLOW, GREEN = "red", "yellow", "green"
REPEAT_THRESHOLD = 0.3
REPEAT_POOL = 300  # earlier cases scored at most, chosen by sharing the rarest-looking words
# words that say nothing about the place or the company complained about
STOP_WORDS = frozenset("""
某某 某 该 等 及 和 与 在 有 是 的 了 对 向 被 将 其 并 且 但 还 又 也 都 就 而 或
群众 反映 举报 投诉 信访 来电 来信 问题 情况 存在 现象 污染 严重 影响 附近 周边 周围 居民 村民
生活 长期 一直 多次 没有 未 无 进行 导致 造成 要求 希望 相关 部门 处理 整改 环境 非常 特别 经常
附近居民 群众反映 一个 一家 一些 这个 那个 至今 目前 已经 仍然 仍 不 没 称 说 据 其中 位于
""".split())

SORTS = {
    "number": ("batch__inspection_id", "batch__number", "sequence"),
    "deadline": ("reply_deadline", "batch__number", "sequence"),
    "warning": ("warning_rank", "reply_deadline", "batch__number", "sequence"),
    "status": ("status", "batch__number", "sequence"),
    "updated": ("-updated_at",),
}
NOT_DONE = (ComplaintStatus.RECEIVED, ComplaintStatus.INVESTIGATING)


def today() -> dt.date:
    return timezone.localdate()


def yellow_days() -> int:
    return int(getattr(settings, "ZHENGGAI_COMPLAINT_YELLOW_DAYS", 2))


def yellow_horizon(on: dt.date) -> dt.date:
    """The last deadline that still counts as "near" on day `on`."""
    return add_working_days(on, yellow_days())


def complaint_warning(complaint: Complaint, on: dt.date | None = None) -> str:
    """"red", "yellow" or "green" for `complaint` on day `on` (today by default); see the module."""
    on = on or today()
    if complaint.status == ComplaintStatus.DONE or complaint.merged_into_id is not None:
        return GREEN
    if complaint.reply_deadline < on:
        return RED
    if complaint.reply_deadline <= yellow_horizon(on):
        return YELLOW
    return GREEN


def annotate_complaint_warning(queryset: QuerySet[Complaint], on: dt.date | None = None) -> QuerySet[Complaint]:
    """Adds `warning` ("red"/"yellow"/"green", as `complaint_warning`) and `warning_rank` (0/1/2)."""
    on = on or today()
    settled = Q(status=ComplaintStatus.DONE) | Q(merged_into__isnull=False)
    horizon = yellow_horizon(on)
    return queryset.annotate(
        warning=Case(
            When(settled, then=Value(GREEN)),
            When(reply_deadline__lt=on, then=Value(RED)),
            When(reply_deadline__lte=horizon, then=Value(YELLOW)),
            default=Value(GREEN), output_field=CharField(),
        ),
        warning_rank=Case(
            When(settled, then=Value(2)),
            When(reply_deadline__lt=on, then=Value(0)),
            When(reply_deadline__lte=horizon, then=Value(1)),
            default=Value(2), output_field=IntegerField(),
        ),
    )


@dataclass
class ComplaintFilters:
    inspection: int | None = None
    batch: int | None = None
    status: str = ""  # a ComplaintStatus value or "open" (not 已办结)
    region: int | None = None
    type: str = ""  # a PollutionType value
    priority: bool = False
    warning: str = ""
    unit: int | None = None
    q: str = ""
    sort: str = "number"

    @classmethod
    def from_query(cls, params: Any) -> ComplaintFilters:
        def number(name: str) -> int | None:
            value = (params.get(name) or "").strip()
            return int(value) if value.isdigit() else None

        sort = params.get("sort") or "number"
        return cls(
            inspection=number("inspection"), batch=number("batch"), status=params.get("status") or "",
            region=number("region"), type=params.get("type") or "",
            priority=(params.get("priority") or "") in ("1", "on", "true"),
            warning=params.get("warning") or "", unit=number("unit"),
            q=(params.get("q") or "").strip()[:100], sort=sort if sort in SORTS else "number",
        )


def filter_by_type(queryset: QuerySet[Complaint], code: str) -> QuerySet[Complaint]:
    """Cases whose (multi-valued) pollution types include `code`."""
    if connection.vendor == "postgresql":
        return queryset.filter(pollution_types__contains=[code])
    ids = [pk for pk, types in queryset.values_list("pk", "pollution_types") if code in (types or [])]
    return queryset.filter(pk__in=ids)


def complaint_list_for_user(user: Any, filters: ComplaintFilters | None = None, *,
                            on: dt.date | None = None) -> QuerySet[Complaint]:
    """The cases `user` may see, filtered, with their warning annotated, sorted, ready to list."""
    filters = filters or ComplaintFilters()
    qs = scope_for(user, Complaint.objects.all())
    if filters.inspection:
        qs = qs.filter(inspection_id=filters.inspection)
    if filters.batch:
        qs = qs.filter(batch_id=filters.batch)
    if filters.status == "open":
        qs = qs.exclude(status=ComplaintStatus.DONE)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.region:
        region = Region.objects.filter(pk=filters.region).first()
        qs = qs.filter(region__path__startswith=region.path) if region else qs.none()
    if filters.type:
        qs = filter_by_type(qs, filters.type)
    if filters.priority:
        qs = qs.filter(is_priority=True)
    if filters.unit:
        unit = Organization.objects.filter(pk=filters.unit).first()
        qs = qs.filter(pk__in=Complaint.objects.filter(complaint_party_q(unit.path)).values("pk")) if unit else qs.none()
    if filters.q:
        found = search_filter(Complaint.objects.all(), filters.q).values("pk")
        qs = qs.filter(Q(pk__in=found) | Q(acceptance_number__icontains=filters.q))
    qs = annotate_complaint_warning(qs, on)
    if filters.warning in (RED, YELLOW, GREEN):
        qs = qs.filter(warning=filters.warning)  # type: ignore[misc]
    return (
        qs.select_related("batch", "inspection", "region", "lead_unit", "repeat_of", "merged_into")
        .prefetch_related("cooperating_units")
        .order_by(*SORTS[filters.sort])
    )


def complaint_detail_for_user(user: Any, pk: int, *, on: dt.date | None = None) -> Complaint:
    """One case the user may read (NotFound for hidden and missing ones alike)."""
    qs = annotate_complaint_warning(
        Complaint.objects.select_related(
            "batch", "inspection", "inspection__target_region", "region", "lead_unit", "repeat_of",
            "merged_into", "rebound_of",
        ).prefetch_related("cooperating_units"), on)
    return get_for_user(user, qs, pk=pk)


def complainant_for_user(user: Any, complaint: Complaint) -> Complainant | None:
    """The complainant of `complaint` when `user` may see it (the office only), else None."""
    return scope_for(user, Complainant.objects.filter(complaint=complaint)).first()


def evidence_for_complaint(user: Any, complaint: Complaint) -> QuerySet[Any]:
    from zhenggai.evidence.models import Evidence

    return (scope_for(user, Evidence.objects.filter(complaint=complaint))
            .select_related("organization", "uploaded_by").order_by("-uploaded_at", "-id"))


def batch_list_for_user(user: Any) -> QuerySet[HandoverBatch]:
    from django.db.models import Count

    visible = scope_for(user, Complaint.objects.all())
    return (
        scope_for(user, HandoverBatch.objects.all())
        .select_related("inspection")
        .annotate(
            visible_count=Count("complaints", filter=Q(complaints__in=visible), distinct=True),
            done_count=Count("complaints", filter=Q(complaints__in=visible, complaints__status=ComplaintStatus.DONE),
                             distinct=True),
            priority_count=Count("complaints", filter=Q(complaints__in=visible, complaints__is_priority=True),
                                 distinct=True),
        )
        .order_by("-handed_over", "inspection_id", "-number")
    )


def batch_detail_for_user(user: Any, pk: int) -> HandoverBatch:
    return get_for_user(user, HandoverBatch.objects.select_related("inspection"), pk=pk)


def unit_filter_choices(user: Any) -> QuerySet[Organization]:
    """The units that lead or cooperate on a case the user sees. Two subqueries of unit ids, not a join
    through both relations (which multiplies every unit's led cases by its cooperating cases, then needs
    DISTINCT over the product: tens of seconds at 12,500 cases)."""
    visible = scope_for(user, Complaint.objects.all())
    led = visible.filter(lead_unit__isnull=False).values("lead_unit_id")
    cooperating = Complaint.cooperating_units.through.objects.filter(complaint__in=visible).values("organization_id")
    return (Organization.objects.filter(Q(pk__in=led) | Q(pk__in=cooperating))
            .order_by("kind", "sort_order", "id"))


def region_filter_choices(user: Any) -> QuerySet[Region]:
    visible = scope_for(user, Complaint.objects.all())
    return Region.objects.filter(pk__in=visible.values("region_id")).order_by("path")


# ---------------------------------------------------------------------------------------------- repeats

_ASCII_WORD = re.compile(r"^[a-z0-9]+$")


def repeat_words(text: str) -> set[str]:
    """The meaningful words of `text`: jieba words without stop words, single characters and bare
    numbers."""
    return {w for w in segment(text) if len(w) > 1 and w not in STOP_WORDS and not w.isdigit()}


def _region_text(complaint: Complaint) -> str:
    return complaint.region.name if complaint.region_id and complaint.region else complaint.region_text


def _case_words(complaint: Complaint) -> set[str]:
    return repeat_words(f"{complaint.summary} {_region_text(complaint)}")


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _same_region_tree(complaint: Complaint) -> Q:
    target = complaint.inspection.target_region
    ancestors = [target.path[: i + 1] for i, c in enumerate(target.path) if c == "/" and i]
    return Q(inspection__target_region__path__startswith=target.path) | Q(inspection__target_region__path__in=ancestors)


def repeat_candidates(complaint: Complaint, limit: int = 5, *,
                      threshold: float = REPEAT_THRESHOLD) -> list[tuple[Complaint, float]]:
    """Earlier cases (registered before this one) of the same region tree that look like the same
    place or company, best first, as (case, score) with score the Jaccard similarity in [0, 1].

    Cases this one is already linked to (repeat of, merged into) are left out. The database narrows the
    pool to cases sharing at least one of this case's longer words; only that pool is segmented.
    """
    words = _case_words(complaint)
    if not words:
        return []
    probe = sorted(words, key=lambda w: (-len(w), w))[:12]
    shares = Q()
    for word in probe:
        shares |= Q(search_text__contains=word)
    linked = [pk for pk in (complaint.repeat_of_id, complaint.merged_into_id) if pk]
    pool = (
        Complaint.objects.filter(_same_region_tree(complaint), pk__lt=complaint.pk)
        .filter(shares)
        .exclude(pk__in=linked)
        .select_related("region", "batch", "lead_unit")
        .order_by("-pk")[:REPEAT_POOL]
    )
    scored = [(other, round(jaccard(words, _case_words(other)), 3)) for other in pool]
    scored = [(other, score) for other, score in scored if score >= threshold]
    scored.sort(key=lambda item: (-item[1], -item[0].pk))
    return scored[:limit]
