"""The planted-anomaly run of bench/integrity.py at a small scale: every check finds at least 90% of what
was planted for it (recall) and at least 80% of what it reports was planted (precision), next to
near-misses that must not be flagged."""

from __future__ import annotations

import pytest
from bench.integrity import Generator, score, small_base, table

from zhenggai.integrity.checks import load_all

RECALL = 0.9
PRECISION = 0.8


@pytest.mark.django_db
def test_planted_anomalies_are_found_with_the_quality_floors():
    region, units = small_base(seed=11)
    truth = Generator(region=region, units=units, seed=11, tasks=24, planted=10, photo_size=(160, 120)).run()
    rows = score(truth)
    assert {row.check for row in rows} == set(load_all())
    printed = table(rows)
    for row in rows:
        assert row.planted >= 9, f"{row.check}: too few planted\n{printed}"
        assert row.near_misses >= 3, f"{row.check}: no near-misses\n{printed}"
        assert row.recall >= RECALL, f"{row.check}: recall {row.recall:.2f}\n{printed}"
        assert row.precision >= PRECISION, f"{row.check}: precision {row.precision:.2f}\n{printed}"
        assert row.demo == 0  # nothing in this base comes from elsewhere
