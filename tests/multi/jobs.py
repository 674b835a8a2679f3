"""A job for the several-workers test: harmless, and it leaves one line per run in a file that every
process of the arrangement shares, so the test can count how often each schedule ran and where."""

from __future__ import annotations

import os

from django.conf import settings

RUNS_FILE = "multi-runs.txt"


def record_run(tag: str) -> str:
    line = f"{tag} {os.getpid()}\n"
    # one write() on a file opened for appending: lines of concurrent runs never interleave
    with open(settings.DATA_DIR / RUNS_FILE, "a", encoding="utf-8") as fh:
        fh.write(line)
    return line.strip()
