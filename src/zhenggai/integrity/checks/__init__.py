"""The checks. Each module registers its checks with `register`; importing this package loads them all."""

from __future__ import annotations

import importlib
import pkgutil

from .base import CHECKS, Check, Finding, Scope, register

__all__ = ["CHECKS", "Check", "Finding", "Scope", "register", "load_all"]


def load_all() -> dict[str, Check]:
    """Import every check module of this package once and return the registry."""
    for info in pkgutil.iter_modules(__path__):
        if info.name != "base":
            importlib.import_module(f"{__name__}.{info.name}")
    return CHECKS
