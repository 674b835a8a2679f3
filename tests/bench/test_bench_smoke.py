"""Smoke run of the benchmark suite (bench/run.py) at the smallest scale on the test database, so that
it cannot rot: every row of the table is there and every figure is sane. Timings are not judged here.

The data is committed (transactional test) because the throughput and job steps run in child processes
(gunicorn, locust, `zhenggai import-tasks`, `export-ledger`, the job worker) on the same database.
"""

from __future__ import annotations

import pytest
from bench.run import STEPS, run_suite
from bench.suite.database import environment, settings_url
from bench.suite.pages import choose_subjects, page_list
from bench.suite.report import Report, markdown_table, text_table, write
from django.core.management import call_command
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


def test_bench_suite_smoke(tmp_path):
    call_command("generate_dataset", "--scale", "tiny", "--seed", "1", verbosity=0)
    env = environment()
    env.update({"DATABASE_URL": settings_url(), "ZHENGGAI_TESTING": "1", "ZHENGGAI_DATA_DIR": str(tmp_path / "data"),
                "ZHENGGAI_MEDIA_ROOT": str(tmp_path / "media")})
    report = Report(scale="tiny", engine=connection.vendor)
    run_suite(report, env=env, jobs_env=None, work=tmp_path / "work", rounds=2, steps=STEPS, users=5, seconds=2,
              import_rows=40, export_rows=300, log=lambda line: None)

    pages = [p.name for p in page_list(choose_subjects())]
    names = report.names()
    assert names[:len(pages)] == pages
    for prefix in ("portal throughput", "import 40 rows", "export ledger", "daily warning job", "monthly bulletin"):
        assert any(n.startswith(prefix) for n in names), prefix
    for row in report.rows:
        assert row.ok is not None and row.target, row.name
        if row.kind == "page":
            assert 0 < row.median_ms <= row.p95_ms, row.name
            assert row.queries > 0 and row.main_ms > 0 and row.ratio > 0, row.name
            assert row.main_sql.lstrip().upper().startswith(("SELECT", "WITH")), row.name
        else:
            assert row.figure is not None and row.figure > 0, row.name
    lists = [r for r in report.rows if r.queries_alt is not None]
    assert len(lists) >= 4
    assert all(r.queries_alt <= r.queries for r in lists), [(r.name, r.queries, r.queries_alt) for r in lists]
    export = next(r for r in report.rows if r.name.startswith("export ledger"))
    assert int(export.name.split()[2].replace(",", "")) >= 300

    text, md = text_table(report), markdown_table(report)
    assert all(name in text and name in md for name in names)
    md_path, json_path = write(report, tmp_path / "out")
    assert "portal throughput" in md_path.read_text(encoding="utf-8") and json_path.stat().st_size > 0
