"""Values read from the database and kept in one process's memory (the active event hooks, the working-day
calendar), dropped in every process when they change — not only in the process that changed them.

Rules:
- `invalidate()` drops the local copy at once and writes a new random version token into Django's cache;
  every other process compares its copy's token with the cache's at most every `check_seconds` and reloads
  when they differ. With Redis as the cache (REDIS_URL) that reaches every app server and worker, so a
  change made through one server is seen by the others within `check_seconds`;
- a copy older than `max_age` is reloaded anyway: that bounds the staleness where the cache is not shared
  (the local-memory cache of a single machine running several processes) or has lost the token;
- when the cache does not answer, the value is reloaded at every check rather than trusted: one query
  more, never a stale answer for longer than `check_seconds`.
Call `invalidate()` after the change is committed (`transaction.on_commit`), or another process may reload
the old rows under the new token.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.cache import cache

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class _Copy(Generic[T]):
    value: T
    token: str | None
    loaded: float
    checked: float


class ProcessCache(Generic[T]):
    """One value built by `load()`, kept in this process (see the module)."""

    def __init__(self, name: str, load: Callable[[], T], *, max_age: float, check_seconds: float = 0.0) -> None:
        self.key = f"process-cache:{name}:version"
        self.load = load
        self.max_age = max_age
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._copy: _Copy[T] | None = None

    def _shared_token(self) -> str | None:
        try:
            token = cache.get(self.key)
            if token is None:
                cache.add(self.key, uuid.uuid4().hex, None)
                token = cache.get(self.key)
        except Exception:  # noqa: BLE001 - an unreachable cache means "reload", never an error
            logger.warning("process cache %s: the shared cache does not answer; reloading", self.key)
            return None
        return str(token) if token is not None else None

    def get(self) -> T:
        now = time.monotonic()
        copy = self._copy
        if copy is not None and now - copy.loaded < self.max_age:
            if now - copy.checked < self.check_seconds:
                return copy.value
            token = self._shared_token()
            if token is not None and token == copy.token:
                copy.checked = now
                return copy.value
        else:
            token = self._shared_token()
        # the token is read before the value: a change committed in between gives a newer token next time
        value = self.load()
        with self._lock:
            self._copy = _Copy(value, token, now, now)
        return value

    def drop_local(self) -> None:
        with self._lock:
            self._copy = None

    def invalidate(self) -> None:
        """Drop the copy here and, through the shared cache, everywhere (see the module)."""
        self.drop_local()
        try:
            cache.set(self.key, uuid.uuid4().hex, None)
        except Exception:  # noqa: BLE001 - the other processes reload after max_age
            logger.warning("process cache %s: could not publish the new version", self.key)
