"""Demo assessment: a rule set, a scored period and accountability cases (filled by the assessment work)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def load_assessment_demo(*, actor: Any, plan: Any, say: Callable[[str], None]) -> None:
    return None
