"""The soak run in small (bench/soak.py runs the long one: 100 users for 5 minutes on PostgreSQL): 20
simulated users of bench/locustfile.py for 20 seconds against `zhenggai serve` with two workers on this
run's test database. No request fails, unit staff really submit reports with photos and heads approve
them, and the app server's memory stays bounded."""

from __future__ import annotations

from bench.soak import app_pids, rss_mb, run_locust

from zhenggai.rectification.models import ProgressReport

from .conftest import http, process_env

USERS, SECONDS = 20, 20
# per process over the short run: the first Argon2 sign-ins take ~100 MB of working memory that the allocator
# keeps, and caches fill; a leak under load grows without bound (the 5-minute soak in bench/ shows it flat)
RSS_GROWTH_LIMIT_MB = 160


def test_twenty_users_for_twenty_seconds_without_a_failure(world, processes, tmp_path):
    env = process_env(tmp_path / "data")
    server, base = processes.serve(env, workers=2)
    for path in ("/portal/", "/login/", "/readyz"):
        assert http(base + path)[0] == 200
    pids = app_pids(server.pid)
    start = rss_mb(pids)

    load_env = {**env, "SOAK_STAFF": "staff,staff2", "SOAK_HEADS": "head,head2", "SOAK_OFFICE": "office,leader",
                "SOAK_PASSWORD": "pw-for-tests-123", "SOAK_WRITE_WEIGHT": "6"}
    summary = run_locust(base, users=USERS, seconds=SECONDS, env=load_env, work=tmp_path / "locust", spawn_rate=USERS)
    end = rss_mb(pids)

    by_name = {e.name: e for e in summary.endpoints}
    assert summary.total.failures == 0, summary.failures_text
    assert summary.exceptions_text == "", summary.exceptions_text
    assert summary.total.requests > 80
    assert by_name["sign in"].requests >= USERS // 2  # the signed-in kinds of user are 9 of 13
    assert {"workbench", "task page", "report form", "portal home"} <= set(by_name)
    assert by_name["submit report with photo"].requests > 0
    assert ProgressReport.objects.filter(evidence__isnull=False).exists()  # reports went in with their photos
    growth = {pid: end[pid] - start[pid] for pid in start if pid in end}
    assert len(growth) == 3 and max(growth.values()) < RSS_GROWTH_LIMIT_MB, (start, end)
