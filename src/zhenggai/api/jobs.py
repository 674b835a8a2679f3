"""The API's scheduled job: stored answers of idempotent writes are kept 24 hours, then deleted."""

from __future__ import annotations


def register_schedules() -> None:
    from zhenggai.core.schedules import daily

    daily("api-idempotency-purge", "zhenggai.api.idempotency.idempotency_purge", hour=3, minute=10)
