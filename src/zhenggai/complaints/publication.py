"""Publishing the handling of complaint cases on the portal (信息公开, DOMAIN §4).

What the public sees of a case is ONLY `Complaint.published_data`: the ten columns of the published
tables, written when the office publishes and never read from the live fields by public pages:

    序号 | 受理编号 | 交办问题基本情况 | 行政区域 | 污染类型 | 调查核实情况 | 是否属实 | 处理和整改情况 | 是否办结 | 责任人被处理情况

Rules:
- only the office of the inspection's region (or the system actor, or a superuser) publishes;
- a batch is published as a whole, once, when every case of it is approved by the office (a case merged
  into another one is ready when its main case is, and is published with the main case's result);
  otherwise publishing is refused with the numbers of the cases that are not;
- every free text is masked: the complainants' names (→ 张某某), contacts and ID numbers (of every case of
  the inspection), the names of the people with accounts, and then every phone number, ID-card number and e-mail address
  (`redaction.mask_text`); the office sees the masked table and every masked spot before publishing
  (`publication_preview`);
- after publication, a case whose handling went on (持续整改办理情况) and was approved again is refreshed
  on its own (`complaint_republish`); until then the public keeps seeing the last approved result.
Side effects: a `batch.published` event on the batch's chain and a `complaint.published` event on each
case's chain (with `refresh: true` when a case is refreshed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zhenggai.accounts.models import Role, User
from zhenggai.accounts.policies import user_has_role, user_region
from zhenggai.core.errors import DomainError, PermissionDenied
from zhenggai.core.events import event_record

from . import policies
from .models import Complainant, Complaint, ComplaintStatus, HandoverBatch, ReviewStatus
from .redaction import find_sensitive, mask_text
from .types import pollution_type_labels

# The ten published columns. The keys are stored in `published_data` (and are the official Chinese
# headers); the labels translate them for pages in another language.
PUBLISHED_COLUMNS: tuple[str, ...] = (
    "序号", "受理编号", "交办问题基本情况", "行政区域", "污染类型", "调查核实情况", "是否属实", "处理和整改情况",
    "是否办结", "责任人被处理情况",
)
COLUMN_LABELS: dict[str, Any] = {
    "序号": gettext_lazy("序号"), "受理编号": gettext_lazy("受理编号"),
    "交办问题基本情况": gettext_lazy("交办问题基本情况"), "行政区域": gettext_lazy("行政区域"),
    "污染类型": gettext_lazy("污染类型"), "调查核实情况": gettext_lazy("调查核实情况"),
    "是否属实": gettext_lazy("是否属实"), "处理和整改情况": gettext_lazy("处理和整改情况"),
    "是否办结": gettext_lazy("是否办结"), "责任人被处理情况": gettext_lazy("责任人被处理情况"),
}
# columns written by people: masked before publication
FREE_TEXT_COLUMNS: tuple[str, ...] = ("交办问题基本情况", "行政区域", "调查核实情况", "处理和整改情况", "责任人被处理情况")
# the published tables are official Chinese documents, whatever the office's UI language
PUBLISHED_LANGUAGE = "zh-hans"
PRIORITY_MARK = "★"


def column_pairs() -> list[tuple[str, str]]:
    """(key, label) of the ten columns, in order, for pages and exports."""
    return [(key, str(COLUMN_LABELS[key])) for key in PUBLISHED_COLUMNS]


# ------------------------------------------------------------------------------------------- rights


def may_publish(actor: Any, batch: HandoverBatch) -> bool:
    """The office of the inspection's region (or a parent region), the system actor, a superuser."""
    if policies.is_privileged(actor):
        return True
    if not user_has_role(actor, Role.OFFICE):
        return False
    region = user_region(actor)
    target = batch.inspection.target_region
    return bool(region is not None and target.path.startswith(region.path))


# ------------------------------------------------------------------------------------------ masking


@dataclass(frozen=True)
class Spot:
    """One masked spot of a case: the column, what the text said and what the public sees."""

    column: str
    found: str
    masked: str

    @property
    def label(self) -> str:
        return str(COLUMN_LABELS.get(self.column, self.column))


def _pseudonym(name: str) -> str:
    """张秀英 → 张某某: the family name stays, as in official texts."""
    return name[:1] + "某" * (len(name) - 1)


def _hidden(value: str) -> str:
    masked = mask_text(value)
    return masked if masked != value else "*" * len(value)


def staff_names() -> dict[str, str]:
    """The full names (two characters or more) of the people with accounts, each with its pseudonym:
    names of staff never appear in public texts."""
    from zhenggai.core.actors import SYSTEM_USERNAME

    names: dict[str, str] = {}
    for last, first in (User.objects.exclude(last_name="", first_name="").exclude(username=SYSTEM_USERNAME)
                        .values_list("last_name", "first_name")):
        full = f"{last}{first}".strip()
        if len(full) >= 2:
            names[full] = _pseudonym(full)
    return names


def complainant_strings(complainant: Complainant | None) -> dict[str, str]:
    """The complainant's name, contact and ID number, each with what replaces it."""
    if complainant is None:
        return {}
    found: dict[str, str] = {}
    name = complainant.name.strip()
    if len(name) >= 2:
        found[name] = _pseudonym(name)
    for value in (complainant.contact.strip(), complainant.id_number.strip()):
        if len(value) >= 5:
            found[value] = _hidden(value)
    return found


def private_strings(inspection_id: int) -> dict[str, str]:
    """What never appears in a published text of the inspection: the names of the people with accounts
    and every complainant's name, contact and ID number (a case may name the complainant of another)."""
    found = staff_names()
    for complainant in Complainant.objects.filter(complaint__inspection_id=inspection_id):
        found.update(complainant_strings(complainant))
    return found


class Masker:
    """Masks free texts: the private strings given (complainants, staff) first, then what `mask_text`
    recognises. Records the masked spots of the current case (`begin` starts a new case)."""

    def __init__(self, private: Mapping[str, str]) -> None:
        self.private = dict(private)
        self.pattern = (re.compile("|".join(re.escape(s) for s in sorted(self.private, key=len, reverse=True)))
                        if self.private else None)
        self.spots: list[Spot] = []

    def begin(self) -> Masker:
        self.spots = []
        return self

    def __call__(self, column: str, text: str | None) -> str:
        text = (text or "").strip()
        if not text:
            return ""
        if self.pattern is not None:
            def replace(match: re.Match[str]) -> str:
                self.spots.append(Spot(column, match.group(0), self.private[match.group(0)]))
                return self.private[match.group(0)]

            text = self.pattern.sub(replace, text)
        self.spots.extend(Spot(column, hit, mask_text(hit)) for hit in find_sensitive(text))
        return mask_text(text)


# --------------------------------------------------------------------------------------------- rows


def _status_word(status: str) -> str:
    if status == ComplaintStatus.DONE:
        return _("已办结")
    if status == ComplaintStatus.STAGE_DONE:
        return _("阶段性办结")
    return _("未办结")


def _pollution(c: Complaint) -> str:
    labels = "、".join(pollution_type_labels(list(c.pollution_types or [])))
    subtypes = "、".join(str(s) for s in c.pollution_subtypes or [])
    if labels and subtypes:
        return f"{labels}（{subtypes}）"
    return labels or subtypes or c.pollution_text


def _result_source(c: Complaint) -> Complaint:
    """The case whose result is published: the main case for a case merged into another."""
    return c.merged_into if c.merged_into_id and c.merged_into is not None else c


def published_row(c: Complaint, masker: Masker) -> dict[str, str]:
    """The ten columns of `c` as the public sees them (see the module for the masking)."""
    source = _result_source(c)
    handling = source.handling
    if source is not c:
        handling = _("（与%(n)s合并办理）") % {"n": source.acceptance_number} + handling
    with translation.override(PUBLISHED_LANGUAGE):
        row = {
            "序号": str(c.sequence),
            "受理编号": c.acceptance_number + (PRIORITY_MARK if c.is_priority else ""),
            "交办问题基本情况": masker("交办问题基本情况", c.summary),
            "行政区域": masker("行政区域", c.region.name if c.region_id and c.region else c.region_text),
            "污染类型": masker("污染类型", _pollution(c)),
            "调查核实情况": masker("调查核实情况", source.investigation),
            "是否属实": str(source.get_truthfulness_display()) if source.truthfulness else "",
            "处理和整改情况": masker("处理和整改情况", handling),
            "是否办结": _status_word(source.status),
            "责任人被处理情况": masker("责任人被处理情况", source.accountability),
        }
    return row


def is_ready(c: Complaint) -> bool:
    """Approved by the office (for a merged case: its main case)."""
    return _result_source(c).review_status == ReviewStatus.APPROVED


def _cases(batch: HandoverBatch, *, lock: bool = False) -> list[Complaint]:
    queryset = Complaint.objects.filter(batch=batch)
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    return list(queryset.select_related("region", "merged_into").order_by("sequence", "pk"))


def _row_and_spots(c: Complaint, masker: Masker) -> tuple[dict[str, str], list[Spot]]:
    row = published_row(c, masker.begin())
    return row, list(masker.spots)


@dataclass
class PreviewRow:
    complaint: Complaint
    data: dict[str, str]
    spots: list[Spot] = field(default_factory=list)
    ready: bool = True

    @property
    def cells(self) -> list[tuple[str, SafeString]]:
        """(column, the masked value with each masked spot in <mark>) for the office's preview."""
        return [(key, highlight(self.data.get(key, ""), [s.masked for s in self.spots if s.column == key]))
                for key in PUBLISHED_COLUMNS]


def highlight(text: str, masked: Iterable[str]) -> SafeString:
    """`text`, escaped, with every occurrence of the masked forms wrapped in <mark>."""
    escaped = str(escape(text))
    forms = sorted({str(escape(m)) for m in masked if m}, key=len, reverse=True)
    if not forms:
        return mark_safe(escaped)  # noqa: S308 - escaped above
    pattern = re.compile("|".join(re.escape(f) for f in forms))
    return mark_safe(pattern.sub(lambda m: f'<mark class="zg-masked">{m.group(0)}</mark>', escaped))  # noqa: S308


def publication_preview(batch: HandoverBatch) -> list[PreviewRow]:
    """The rows the public would see if the batch were published now (masked), each with its masked
    spots and whether the case is ready (approved). Reads only; the caller checks the right to see it."""
    masker = Masker(private_strings(batch.inspection_id))
    rows = []
    for c in _cases(batch):
        data, spots = _row_and_spots(c, masker)
        rows.append(PreviewRow(complaint=c, data=data, spots=spots, ready=is_ready(c)))
    return rows


# ----------------------------------------------------------------------------------------- services


def batch_publish(*, actor: Any, batch: HandoverBatch, at: dt.datetime | None = None) -> HandoverBatch:
    """Publish every case of `batch` (see the module). `at` is the publication time (now by default;
    the demo gives past dates). Refused when the batch is already published, has no case, or a case is
    not approved (the message lists their 受理编号)."""
    if not may_publish(actor, batch):
        raise PermissionDenied(_("只有被督察地区的督察整改办可以公开信访件办理情况。"))
    now = at or timezone.now()
    with transaction.atomic():
        locked = HandoverBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.published_at is not None:
            raise DomainError(_("第%(n)s批已于%(date)s公开；办理情况有进展的，请逐件更新公开内容。") % {
                "n": locked.number, "date": f"{timezone.localtime(locked.published_at):%Y-%m-%d}"})
        cases = _cases(locked, lock=True)
        if not cases:
            raise DomainError(_("第%(n)s批没有信访件，无需公开。") % {"n": locked.number})
        waiting = [c.acceptance_number for c in cases if not is_ready(c)]
        if waiting:
            raise DomainError(_("以下信访件的办理结果尚未审核通过，不能公开：%(numbers)s。") % {
                "numbers": "、".join(waiting)})
        masker = Masker(private_strings(locked.inspection_id))
        masked = 0
        for c in cases:
            data, spots = _row_and_spots(c, masker)
            masked += len(spots)
            c.published_data = data
            c.published_at = now
            c.save(update_fields=["published_data", "published_at", "updated_at"])
            # on the case's own chain too, so that its history shows the publication
            event_record(actor=actor, verb="complaint.published", obj=c, data={
                "batch": locked.pk, "published_at": now, "masked_spots": len(spots)})
        locked.published_at = now
        locked.published_by = actor
        locked.save(update_fields=["published_at", "published_by"])
        event_record(actor=actor, verb="batch.published", obj=locked, data={
            "published_at": now, "complaints": [c.acceptance_number for c in cases], "masked_spots": masked,
        })
    batch.published_at, batch.published_by = locked.published_at, locked.published_by
    return batch


def complaint_republish(*, actor: Any, complaint: Complaint, at: dt.datetime | None = None) -> Complaint:
    """Refresh the public row of one case of a published batch after its handling went on and the office
    approved it again (持续整改办理情况). Also publishes a case added to the batch after publication.
    Refused when the batch is not published or the case is not approved. Nothing changes (and no event
    is written) when the row is the same."""
    batch = complaint.batch
    if not may_publish(actor, batch):
        raise PermissionDenied(_("只有被督察地区的督察整改办可以公开信访件办理情况。"))
    with transaction.atomic():
        locked = (Complaint.objects.select_for_update(of=("self",))
                  .select_related("batch", "region", "merged_into").get(pk=complaint.pk))
        if locked.batch.published_at is None:
            raise DomainError(_("第%(n)s批尚未公开，请先公开该批次。") % {"n": locked.batch.number})
        if not is_ready(locked):
            raise DomainError(_("%(n)s 的办理结果尚未审核通过，不能更新公开内容。") % {"n": locked.acceptance_number})
        data, spots = _row_and_spots(locked, Masker(private_strings(locked.inspection_id)))
        before = dict(locked.published_data or {})
        if data == before:
            return complaint
        now = at or timezone.now()
        locked.published_data = data
        locked.published_at = now
        locked.save(update_fields=["published_data", "published_at", "updated_at"])
        event_record(actor=actor, verb="complaint.published", obj=locked, data={
            "batch": locked.batch_id, "published_at": now, "masked_spots": len(spots), "refresh": True,
            "changes": {k: [before.get(k), data[k]] for k in PUBLISHED_COLUMNS if before.get(k) != data[k]},
        })
    complaint.published_data, complaint.published_at = locked.published_data, locked.published_at
    return complaint


# ------------------------------------------------------------------------------------ public reads


def published_batches(inspection: Any = None) -> Any:
    """Published batches (of `inspection` when given), the latest first within an inspection."""
    queryset = HandoverBatch.objects.filter(published_at__isnull=False).select_related("inspection")
    if inspection is not None:
        queryset = queryset.filter(inspection=inspection)
    return queryset.order_by("inspection_id", "number")


def published_complaints(batch: HandoverBatch | None = None) -> Any:
    """Published cases (of `batch` when given). Public pages read only `published_data` of these."""
    queryset = Complaint.objects.filter(published_at__isnull=False, batch__published_at__isnull=False)
    if batch is not None:
        queryset = queryset.filter(batch=batch)
    return queryset.order_by("batch__number", "sequence", "pk")


def public_rows(batch: HandoverBatch) -> list[dict[str, Any]]:
    """The published rows of a batch: the ten columns, and when the row was refreshed after the batch's
    publication (持续整改办理情况)."""
    labels = [label for _key, label in column_pairs()]
    rows = []
    for data, published_at in published_complaints(batch).values_list("published_data", "published_at"):
        cells = [str((data or {}).get(key, "")) for key in PUBLISHED_COLUMNS]
        updated = published_at if batch.published_at and published_at > batch.published_at else None
        rows.append({"cells": cells, "labelled": list(zip(labels, cells, strict=True)), "updated": updated,
                     "priority": cells[1].endswith(PRIORITY_MARK)})
    return rows
