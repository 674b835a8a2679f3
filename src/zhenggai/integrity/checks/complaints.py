"""Checks on complaint cases: concluded 不属实 with nothing to show for it, and a new complaint about the
same problem as a case already closed (linked as a repeat, or nearly the same text from the same area)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.complaints.models import Complaint, ComplaintStatus, Truthfulness
from zhenggai.evidence.models import Evidence

from .. import text as similarity
from .base import Finding, Scope, register
from .common import day, fetch, iso, nothing_in_scope, scoped

FIELDS = ("id", "acceptance_number", "summary", "region_id", "status", "done_at", "received_date",
          "batch__handed_over", "repeat_of_id", "rebound_of_id", "merged_into_id", "created_at")


@register(
    "unfounded_without_evidence", gettext_lazy("不属实结论无佐证"),
    triggers=("complaint.handled", "complaint.submitted", "complaint.approved", "complaint.imported",
              "evidence.uploaded", "evidence.deleted"),
    description=gettext_lazy("信访件调查结论为“不属实”，却没有上传任何佐证材料（现场核查照片、监测报告、笔录等）。"),
)
def unfounded_without_evidence(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope, tasks=False, complaints=True):
        return
    rows = list(scoped(Complaint.objects.filter(truthfulness=Truthfulness.FALSE), scope, task_field=None,
                       complaint_field="id").values("id", "acceptance_number", "status").iterator(chunk_size=2000))
    if not rows:
        return
    ids = sorted(r["id"] for r in rows)
    backed: set[int] = set()
    for start in range(0, len(ids), 500):
        backed.update(Evidence.objects.filter(complaint_id__in=ids[start:start + 500])
                      .values_list("complaint_id", flat=True).distinct())
    hits = [r for r in rows if r["id"] not in backed]
    subjects = fetch(Complaint, (r["id"] for r in hits))
    for row in hits:
        yield Finding(check="unfounded_without_evidence", key=f"complaint:{row['id']}",
                      reason=_("信访件%(number)s的调查结论为“不属实”，但没有任何佐证材料支撑这一结论。")
                      % {"number": row["acceptance_number"]},
                      subject=subjects[row["id"]], complaint_id=row["id"],
                      evidence={"complaint_id": row["id"], "acceptance_number": row["acceptance_number"],
                                "truthfulness": Truthfulness.FALSE.value, "status": row["status"],
                                "evidence_count": 0})


def _received(row: dict[str, Any]) -> dt.date:
    """When the case came in: its receipt date (from the acceptance number), else its handover."""
    from .evidence import day_of

    known: dt.date | None = row["received_date"] or row["batch__handed_over"] or day_of(row["created_at"])
    return known or dt.date.min


@register(
    "repeat_of_closed", gettext_lazy("已办结信访件被重复举报"),
    triggers=("complaint.created", "complaint.imported", "complaint.repeat_linked"),
    description=gettext_lazy("新受理的信访件被关联为某件已办结信访件的重复件，或与同一区域已办结的信访件内容几乎相同"
                             "（分词片段相似度同进展描述），且在原件办结之后受理：问题可能反弹或原办理不到位。"
                             "回头看新建的反弹件不在此列。"),
)
def repeat_of_closed(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope, tasks=False, complaints=True):
        return
    wanted = list(scoped(Complaint.objects.filter(rebound_of__isnull=True, merged_into__isnull=True), scope,
                         task_field=None, complaint_field="id").values(*FIELDS).iterator(chunk_size=2000))
    if not wanted:
        return
    closed_rows = Complaint.objects.filter(status=ComplaintStatus.DONE, done_at__isnull=False)
    if not scope.everything:
        regions = {r["region_id"] for r in wanted}
        links = {r["repeat_of_id"] for r in wanted if r["repeat_of_id"]}
        closed_rows = closed_rows.filter(region_id__in=[r for r in regions if r]) | closed_rows.filter(pk__in=links)
    closed = {r["id"]: r for r in closed_rows.values(*FIELDS).iterator(chunk_size=2000)}
    # closed cases per region, filed by text
    indexes: dict[int | None, similarity.ShingleIndex] = defaultdict(similarity.ShingleIndex)
    prepared: dict[int, similarity.Prepared] = {}
    for row in closed.values():
        prepared[row["id"]] = similarity.prepare(row["summary"])
        indexes[row["region_id"]].add(row["id"], prepared[row["id"]])
    hits: list[tuple[dict[str, Any], dict[str, Any], str, similarity.Similarity | None]] = []
    for row in wanted:
        received = _received(row)
        original = closed.get(row["repeat_of_id"]) if row["repeat_of_id"] else None
        if original is not None and original["done_at"] <= received:
            hits.append((row, original, "linked", None))
            continue
        if row["region_id"] is None or row["region_id"] not in indexes:
            continue
        mine = prepared.get(row["id"]) or similarity.prepare(row["summary"])
        match: tuple[Hashable, similarity.Similarity] | None = next(
            ((key, result) for key, result in indexes[row["region_id"]].alike(mine, exclude=[row["id"]])
             if closed[key]["done_at"] <= received and closed[key]["id"] != row["id"]), None)
        if match is not None:
            hits.append((row, closed[match[0]], "similar", match[1]))
    if not hits:
        return
    subjects = fetch(Complaint, (row["id"] for row, *_rest in hits))
    for row, original, kind, result in hits:
        facts = {"number": original["acceptance_number"], "done": day(original["done_at"]),
                 "received": day(_received(row)), "score": f"{result.score:.0%}" if result else ""}
        if kind == "linked":
            reason = _("该件是已办结信访件%(number)s（%(done)s办结）的重复件，于%(received)s再次受理，"
                       "问题可能反弹或原办理不到位。") % facts
        else:
            reason = _("该件与已办结信访件%(number)s（%(done)s办结）反映的内容几乎相同（相似度 %(score)s），"
                       "于%(received)s再次受理，问题可能反弹或原办理不到位。") % facts
        data: dict[str, Any] = {"complaint_id": row["id"], "acceptance_number": row["acceptance_number"],
                                "received": iso(_received(row)), "closed_complaint_id": original["id"],
                                "closed_acceptance_number": original["acceptance_number"],
                                "closed_done_at": iso(original["done_at"]), "kind": kind,
                                "excerpt": similarity.excerpt(row["summary"]),
                                "closed_excerpt": similarity.excerpt(original["summary"])}
        if result is not None:
            data.update({"jaccard": round(result.jaccard, 3), "containment": round(result.containment, 3)})
        yield Finding(check="repeat_of_closed", key=f"complaint:{row['id']}", reason=reason,
                      subject=subjects[row["id"]], complaint_id=row["id"], evidence=data)
