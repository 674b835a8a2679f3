"""Checks on evidence files: the same file or a near-identical photo backing different tasks, complaints,
units or rounds; photos whose capture time is impossible or missing; photos taken far from the place.

The later upload of two is the suspect one (the earlier may well be genuine), so findings name the
later file and the earlier one it matches."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.evidence.models import Evidence, EvidenceCategory

from ..photos import colour_hash, distance_km, near_pairs
from .base import Finding, Scope, register
from .common import (
    complaint_numbers,
    day,
    fetch,
    iso,
    nothing_in_scope,
    scoped,
    task_names,
    unit_names,
    values_by_id,
)

EVIDENCE_FIELDS = ("id", "task_id", "complaint_id", "organization_id", "uploaded_at", "original_name", "sha256")
# Two stages. The stored 64-bit hashes within PHOTO_RADIUS bits are candidates: re-encoded or resized
# copies differ by 0–2 bits, copies cropped by a few per cent or stamped with a date by up to ~14;
# unrelated pictures mostly by 20–40, but landscapes with the same horizon now and then by 8–12. Each
# candidate pair is then confirmed on the files with the 192-bit colour hash (photos.colour_hash):
# edited copies stay within COLOUR_RADIUS, unrelated photos lie 50 or more bits apart. See
# docs/integrity.md for the measurements.
PHOTO_RADIUS = 14
COLOUR_RADIUS = 42
# a photo taken after its upload is impossible; one day absorbs wrong camera clocks and time zones
CLOCK_SLACK = dt.timedelta(days=1)
# the categories whose photos prove the rectification: they need a capture time, and one before the
# task existed cannot show its result. Before-photos may be older than the task.
RESULT_PHOTO_CATEGORIES = frozenset({EvidenceCategory.AFTER_PHOTO})
DEFAULT_PHOTO_KM = 5.0


def photo_km() -> float:
    """How far (km) from the task's or complaint's place a photo may be taken: setting
    ZHENGGAI_INTEGRITY_PHOTO_KM, default 5."""
    return float(getattr(settings, "ZHENGGAI_INTEGRITY_PHOTO_KM", DEFAULT_PHOTO_KM))


def _owner(row: dict[str, Any]) -> tuple[str, int] | None:
    if row["task_id"] is not None:
        return ("task", row["task_id"])
    if row["complaint_id"] is not None:
        return ("complaint", row["complaint_id"])
    return None


def _in_scope(scope: Scope, row: dict[str, Any]) -> bool:
    return scope.covers_task(row["task_id"]) or scope.covers_complaint(row["complaint_id"])


def _order(row: dict[str, Any]) -> tuple[dt.datetime, int]:
    return (row["uploaded_at"], row["id"])


def _report_rounds(evidence_ids: Iterable[int]) -> dict[int, set[int]]:
    """evidence id → the dispatch rounds of the progress reports it backs."""
    from zhenggai.rectification.models import ProgressReport

    through = ProgressReport.evidence.through
    rounds: dict[int, set[int]] = defaultdict(set)
    ids = sorted(set(evidence_ids))
    for start in range(0, len(ids), 500):
        rows = through.objects.filter(evidence_id__in=ids[start:start + 500],
                                      progressreport__round_id__isnull=False)
        for evidence_id, round_id in rows.values_list("evidence_id", "progressreport__round_id"):
            rounds[evidence_id].add(round_id)
    return rounds


def _relation(row: dict[str, Any], other: dict[str, Any], rounds: dict[int, set[int]] | None) -> str | None:
    """How the later file `row` relates to the earlier `other` when that makes it suspect: backing another
    task or complaint, another unit's evidence of the same task, or a new round's evidence of the same
    unit (`rounds` given). None when the two are the same unit's evidence of the same thing."""
    if _owner(row) != _owner(other):
        return "other_complaint" if row["task_id"] is None else "other_task"
    if row["organization_id"] and other["organization_id"] and row["organization_id"] != other["organization_id"]:
        return "other_unit"
    if rounds is not None:
        mine, theirs = rounds.get(row["id"], set()), rounds.get(other["id"], set())
        if mine and theirs and not (mine & theirs) and min(mine) > min(theirs):
            return "other_round"
    return None


class _Names:
    """Names of the tasks, complaints and units the reasons mention, fetched once per check run."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        self.tasks = task_names(r["task_id"] for r in rows if r["task_id"])
        self.complaints = complaint_numbers(r["complaint_id"] for r in rows if r["complaint_id"])
        self.units = unit_names(r["organization_id"] for r in rows)

    def owner(self, row: dict[str, Any]) -> str:
        if row["task_id"] is not None:
            return _("任务“%(task)s”") % {"task": self.tasks.get(row["task_id"], row["task_id"])}
        return _("信访件%(number)s") % {"number": self.complaints.get(row["complaint_id"], row["complaint_id"])}

    def unit(self, row: dict[str, Any]) -> str:
        return self.units.get(row["organization_id"] or 0, "")


def _match_reason(relation: str, other: dict[str, Any], names: _Names, *, exact: bool, distance: int = 0) -> str:
    facts = {"owner": names.owner(other), "unit": names.unit(other), "date": day(other["uploaded_at"]),
             "name": other["original_name"], "distance": distance}
    if exact:
        texts = {
            "other_task": _("该文件与%(owner)s（%(unit)s%(date)s上传的“%(name)s”）完全相同（SHA-256 一致）。"),
            "other_complaint": _("该文件与%(owner)s（%(unit)s%(date)s上传的“%(name)s”）完全相同（SHA-256 一致）。"),
            "other_unit": _("该文件与%(unit)s于%(date)s为同一任务上传的“%(name)s”完全相同（SHA-256 一致），"
                            "不同单位使用了同一份佐证材料。"),
            "other_round": _("该文件与本单位%(date)s在此前调度中上传的“%(name)s”完全相同（SHA-256 一致），"
                             "旧材料被作为新一轮调度的佐证。"),
        }
    else:
        texts = {
            "other_task": _("该照片与%(owner)s（%(unit)s%(date)s上传的“%(name)s”）几乎相同"
                            "（感知哈希相差 %(distance)s 位），疑似同一张照片经裁剪、压缩或缩放后重复使用。"),
            "other_complaint": _("该照片与%(owner)s（%(unit)s%(date)s上传的“%(name)s”）几乎相同"
                                 "（感知哈希相差 %(distance)s 位），疑似同一张照片经裁剪、压缩或缩放后重复使用。"),
            "other_unit": _("该照片与%(unit)s于%(date)s为同一任务上传的“%(name)s”几乎相同"
                            "（感知哈希相差 %(distance)s 位），不同单位疑似使用了同一张照片。"),
        }
    return texts[relation] % facts


def _finding(code: str, row: dict[str, Any], subject: Evidence, reason: str, data: dict[str, Any]) -> Finding:
    return Finding(check=code, key=f"evidence:{row['id']}", reason=reason, subject=subject,
                   task_id=row["task_id"], complaint_id=row["complaint_id"], evidence=data)


def _file_facts(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    return {f"{prefix}evidence_id": row["id"], f"{prefix}name": row["original_name"],
            f"{prefix}task_id": row["task_id"], f"{prefix}complaint_id": row["complaint_id"],
            f"{prefix}unit_id": row["organization_id"], f"{prefix}uploaded_at": iso(row["uploaded_at"])}


@register(
    "duplicate_file", gettext_lazy("重复使用的佐证文件"),
    triggers=("evidence.uploaded", "report.submitted", "report.approved", "task.apply", "complaint.handled"),
    description=gettext_lazy("同一文件（SHA-256 相同）先后作为不同任务、信访件、单位或不同轮次调度的佐证材料上传；"
                             "标记较晚上传的一份。"),
)
def duplicate_file(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope, tasks=True, complaints=True):
        return
    base = Evidence.objects.filter(sha256__gt="")
    if scope.everything:
        hashes = None
    else:
        hashes = set(scoped(base, scope, complaint_field="complaint_id").values_list("sha256", flat=True))
        if not hashes:
            return
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    rows = base if hashes is None else base.filter(sha256__in=sorted(hashes))
    for row in rows.values(*EVIDENCE_FIELDS).iterator(chunk_size=2000):
        groups[row["sha256"]].append(row)
    groups = {h: sorted(g, key=_order) for h, g in groups.items() if len(g) > 1}
    if not groups:
        return
    rounds = _report_rounds(r["id"] for g in groups.values() for r in g)
    hits: list[tuple[dict[str, Any], dict[str, Any], str]] = []
    for group in groups.values():
        for index, row in enumerate(group):
            if index == 0 or not _in_scope(scope, row):
                continue
            for other in group[:index]:
                relation = _relation(row, other, rounds)
                if relation:
                    hits.append((row, other, relation))
                    break
    if not hits:
        return
    names = _Names([r for hit in hits for r in hit[:2]])
    subjects = fetch(Evidence, (row["id"] for row, _o, _r in hits))
    for row, other, relation in hits:
        data = {**_file_facts(row), **_file_facts(other, "other_"), "sha256": row["sha256"], "relation": relation}
        yield _finding("duplicate_file", row, subjects[row["id"]],
                       _match_reason(relation, other, names, exact=True), data)


@register(
    "near_duplicate_photo", gettext_lazy("近似重复的照片"),
    triggers=("evidence.uploaded", "report.submitted", "report.approved", "task.apply", "complaint.handled"),
    description=gettext_lazy("两张照片的感知哈希相差不超过 14 位、按文件复核的彩色哈希相差不超过 42 位"
                             "（同一画面经压缩、缩放、轻微裁剪或加盖水印），却分属不同任务、信访件或单位；"
                             "完全相同的文件由“重复使用的佐证文件”报告。"),
)
def near_duplicate_photo(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope, tasks=True, complaints=True):
        return
    photos = Evidence.objects.exclude(phash="")
    everyone = list(photos.values_list("id", "phash").iterator(chunk_size=10000))
    if scope.everything:
        pairs = list(near_pairs(everyone, PHOTO_RADIUS))
    else:
        wanted = list(scoped(photos, scope, complaint_field="complaint_id").values_list("id", "phash"))
        pairs = list(_pairs_with(wanted, everyone))
    rows = values_by_id(Evidence.objects.all(), {pk for a, b, _d in pairs for pk in (a, b)},
                        *EVIDENCE_FIELDS, "phash", "file")
    colours: dict[int, int | None] = {}

    def colour(row: dict[str, Any]) -> int | None:
        if row["id"] not in colours:
            colours[row["id"]] = _colour_hash(row["file"])
        return colours[row["id"]]

    best: dict[int, tuple[int, dict[str, Any], str, int]] = {}
    for a, b, distance in pairs:
        first, later = sorted((rows[a], rows[b]), key=_order)
        if first["sha256"] == later["sha256"] or not _in_scope(scope, later):
            continue  # identical files are the other check's business
        relation = _relation(later, first, None)
        if relation is None:
            continue
        known = best.get(later["id"])
        if known is not None and (distance, _order(first)) >= (known[0], _order(known[1])):
            continue
        one, two = colour(first), colour(later)
        if one is None or two is None or (one ^ two).bit_count() > COLOUR_RADIUS:
            continue
        best[later["id"]] = (distance, first, relation, (one ^ two).bit_count())
    if not best:
        return
    names = _Names([rows[pk] for pk in best] + [hit[1] for hit in best.values()])
    subjects = fetch(Evidence, best)
    for pk in sorted(best):
        distance, other, relation, colour_distance = best[pk]
        row = rows[pk]
        data = {**_file_facts(row), **_file_facts(other, "other_"), "phash": row["phash"],
                "other_phash": other["phash"], "hamming_distance": distance,
                "colour_hash_distance": colour_distance, "relation": relation}
        yield _finding("near_duplicate_photo", row, subjects[pk],
                       _match_reason(relation, other, names, exact=False, distance=distance), data)


def _colour_hash(name: str) -> int | None:
    """The colour hash of a stored file; None when it is missing or does not decode."""
    from django.core.files.storage import default_storage

    try:
        with default_storage.open(name, "rb") as handle:
            return colour_hash(handle)
    except (OSError, ValueError):
        return None


def _pairs_with(wanted: list[tuple[int, str]], everyone: list[tuple[int, str]]) -> Iterator[tuple[int, int, int]]:
    """Pairs within the radius between a few hashes and all: a plain scan (a scoped run has a handful)."""
    if not wanted:
        return
    targets = [(pk, int(text, 16)) for pk, text in wanted]
    wanted_ids = {pk for pk, _v in targets}
    for other, text in everyone:
        value = int(text, 16)
        for pk, target in targets:
            if pk == other or (other in wanted_ids and other < pk):
                continue  # each pair of two scoped photos once
            distance = (value ^ target).bit_count()
            if distance <= PHOTO_RADIUS:
                yield pk, other, distance


def _images() -> Any:
    return Evidence.objects.filter(Q(task_id__isnull=False) | Q(complaint_id__isnull=False),
                                   content_type__startswith="image/")


def _since(task_ids: Iterable[int], complaint_ids: Iterable[int]) -> tuple[dict[int, dt.date],
                                                                                           dict[int, dt.date]]:
    """Since when each task and complaint exists: a task from the start of its inspection (problems may be
    put right while the inspection is still on site), or its creation in the system if that is earlier; a
    complaint from its receipt or handover."""
    from zhenggai.complaints.models import Complaint
    from zhenggai.rectification.models import Task

    tasks: dict[int, dt.date] = {}
    ids = sorted(set(task_ids))
    for start in range(0, len(ids), 500):
        for row in Task.objects.filter(pk__in=ids[start:start + 500]).values(
                "pk", "created_at", "plan__inspection__start_date", "plan__inspection__feedback_date"):
            created = day_of(row["created_at"])
            known = [d for d in (created, row["plan__inspection__start_date"], row["plan__inspection__feedback_date"])
                     if d is not None]
            tasks[row["pk"]] = min(known)
    complaints: dict[int, dt.date] = {}
    ids = sorted(set(complaint_ids))
    for start in range(0, len(ids), 500):
        for pk, received, handed_over, created_at in Complaint.objects.filter(
                pk__in=ids[start:start + 500]).values_list("pk", "received_date", "batch__handed_over", "created_at"):
            complaints[pk] = min(d for d in (received, handed_over, day_of(created_at)) if d is not None)
    return tasks, complaints


def day_of(moment: dt.datetime | None) -> dt.date | None:
    if moment is None:
        return None
    return timezone.localtime(moment).date() if timezone.is_aware(moment) else moment.date()


@register(
    "photo_time", gettext_lazy("照片拍摄时间异常"),
    triggers=("evidence.uploaded", "report.submitted", "task.apply", "complaint.handled"),
    description=gettext_lazy("照片的拍摄时间（EXIF）晚于上传时间一天以上；整改后照片拍摄于任务产生（所属督察开始）"
                             "或信访件受理之前；整改后照片没有拍摄时间。"),
)
def photo_time(scope: Scope) -> Iterator[Finding]:
    if nothing_in_scope(scope, tasks=True, complaints=True):
        return
    rows = list(scoped(_images(), scope, complaint_field="complaint_id")
                .values(*EVIDENCE_FIELDS, "category", "captured_at").iterator(chunk_size=5000))
    if not rows:
        return
    task_since, complaint_since = _since((r["task_id"] for r in rows if r["task_id"]),
                                         (r["complaint_id"] for r in rows if r["complaint_id"]))
    hits: list[tuple[dict[str, Any], str, dict[str, Any]]] = []
    for row in rows:
        captured, uploaded = row["captured_at"], row["uploaded_at"]
        result_photo = row["category"] in RESULT_PHOTO_CATEGORIES
        since = task_since.get(row["task_id"]) if row["task_id"] else complaint_since.get(row["complaint_id"])
        if captured is not None and captured > uploaded + CLOCK_SLACK:
            hits.append((row, "after_upload", {"captured_at": iso(captured)}))
        elif (captured is not None and result_photo and since is not None
              and timezone.localtime(captured).date() < since - dt.timedelta(days=1)):
            hits.append((row, "before_task", {"captured_at": iso(captured), "since": iso(since)}))
        elif captured is None and result_photo:
            hits.append((row, "missing", {"captured_at": None}))
    if not hits:
        return
    subjects = fetch(Evidence, (row["id"] for row, _r, _d in hits))
    for row, rule, facts in hits:
        owner = _("任务") if row["task_id"] else _("信访件")
        values = {"name": row["original_name"], "captured": day(row["captured_at"]),
                  "uploaded": day(row["uploaded_at"]), "owner": owner,
                  "since": day(task_since.get(row["task_id"]) if row["task_id"]
                               else complaint_since.get(row["complaint_id"]))}
        reason = {
            "after_upload": _("照片“%(name)s”的拍摄时间（%(captured)s）晚于上传时间（%(uploaded)s），拍摄时间不可信。"),
            "before_task": _("整改后照片“%(name)s”拍摄于%(captured)s，早于%(owner)s产生的%(since)s，不能反映整改结果。"),
            "missing": _("整改后照片“%(name)s”没有拍摄时间（EXIF），无法确认拍摄于整改之后。"),
        }[rule] % values
        data = {**_file_facts(row), "category": row["category"], "rule": rule, **facts}
        yield _finding("photo_time", row, subjects[row["id"]], reason, data)


@register(
    "photo_location", gettext_lazy("照片拍摄位置偏离"),
    triggers=("evidence.uploaded", "report.submitted", "task.apply", "complaint.handled", "task.updated"),
    description=gettext_lazy("照片的 GPS 位置与任务或信访件登记的问题点位相距超过 5 公里"
                             "（设置 ZHENGGAI_INTEGRITY_PHOTO_KM）；未登记点位或照片无 GPS 时不检查。"),
)
def photo_location(scope: Scope) -> Iterator[Finding]:
    from zhenggai.complaints.models import Complaint
    from zhenggai.rectification.models import Task

    if nothing_in_scope(scope, tasks=True, complaints=True):
        return
    rows = list(scoped(_images(), scope, complaint_field="complaint_id")
                .filter(gps_lat__isnull=False, gps_lon__isnull=False)
                .values(*EVIDENCE_FIELDS, "gps_lat", "gps_lon").iterator(chunk_size=5000))
    if not rows:
        return
    places: dict[tuple[str, int], tuple[Any, Any]] = {}
    for model, kind in ((Task, "task"), (Complaint, "complaint")):
        ids = sorted({r[f"{kind}_id"] for r in rows if r[f"{kind}_id"]})
        for start in range(0, len(ids), 500):
            for pk, lat, lon in model.objects.filter(pk__in=ids[start:start + 500], location_lat__isnull=False,
                                                     location_lon__isnull=False).values_list(
                                                         "pk", "location_lat", "location_lon"):
                places[(kind, pk)] = (lat, lon)
    limit = photo_km()
    hits = []
    for row in rows:
        owner = _owner(row)
        place = places.get(owner) if owner else None
        if place is None:
            continue
        km = distance_km(row["gps_lat"], row["gps_lon"], place[0], place[1])
        if km > limit:
            hits.append((row, km, place))
    if not hits:
        return
    subjects = fetch(Evidence, (row["id"] for row, _k, _p in hits))
    for row, km, place in hits:
        owner_label = _("任务") if row["task_id"] else _("信访件")
        reason = _("照片“%(name)s”的拍摄位置距%(owner)s登记的问题点位 %(km).1f 公里（超过 %(limit)s 公里），"
                   "疑似并非在整改现场拍摄。") % {"name": row["original_name"], "owner": owner_label, "km": km,
                                         "limit": f"{limit:g}"}
        data = {**_file_facts(row), "gps": [float(row["gps_lat"]), float(row["gps_lon"])],
                "place": [float(place[0]), float(place[1])], "distance_km": round(km, 2), "limit_km": limit}
        yield _finding("photo_location", row, subjects[row["id"]], reason, data)

