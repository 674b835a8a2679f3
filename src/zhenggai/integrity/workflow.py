"""Statuses of an integrity flag and the transitions between them, as plain data.

A check finds something suspicious and the runner opens a flag (待核查). The office of the flag's region
reviews it: confirms it (已确认: the rectification was fake, perfunctory or superficial, or a blanket
shutdown was announced) or dismisses it with a reason (已排除). A dismissed flag may be reopened by the
office when it was dismissed by mistake; a confirmed flag stays confirmed (it may count in assessment and
become an accountability case, recorded by the discipline body). Running the checks again never changes
a decision: a dismissed flag found again stays dismissed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FlagStatus(models.TextChoices):
    OPEN = "open", _("待核查")  # found by a check, waiting for the office's review
    CONFIRMED = "confirmed", _("已确认")  # the office confirmed the problem; counts in assessment if the rules say so
    DISMISSED = "dismissed", _("已排除")  # the office found no problem and said why; may be reopened


CONFIRM = "confirm"
DISMISS = "dismiss"
REOPEN = "reopen"
TO_ACCOUNTABILITY = "to_accountability"

# (transition, from-statuses, to-status, who): the review's state machine. "office" is the office of the
# flag's region or of a region above it; "discipline" the discipline body of such a region.
TRANSITIONS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    (CONFIRM, (FlagStatus.OPEN,), FlagStatus.CONFIRMED, "office"),
    (DISMISS, (FlagStatus.OPEN,), FlagStatus.DISMISSED, "office"),
    (REOPEN, (FlagStatus.DISMISSED,), FlagStatus.OPEN, "office"),
    # a confirmed flag without a case becomes one; the status stays confirmed
    (TO_ACCOUNTABILITY, (FlagStatus.CONFIRMED,), FlagStatus.CONFIRMED, "discipline"),
)

SOURCES = {name: sources for name, sources, _target, _who in TRANSITIONS}
TARGETS = {name: target for name, _sources, target, _who in TRANSITIONS}
WHO = {name: who for name, _sources, _target, who in TRANSITIONS}

LABELS = {
    CONFIRM: _("确认问题"),
    DISMISS: _("排除"),
    REOPEN: _("重新核查"),
    TO_ACCOUNTABILITY: _("转为问责"),
}

# event verbs written by the review (and by the runner for a new flag)
VERBS = {
    "flagged": "integrity.flagged",
    CONFIRM: "integrity.confirmed",
    DISMISS: "integrity.dismissed",
    REOPEN: "integrity.reopened",
    TO_ACCOUNTABILITY: "integrity.to_accountability",
}
