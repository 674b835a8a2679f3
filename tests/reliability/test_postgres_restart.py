"""PostgreSQL restarted under load: the app server (gunicorn, two workers, kept database connections)
answers again within seconds of the database being back, without being restarted; /readyz reports the
outage while it lasts and /healthz keeps answering.

The database is a private PostgreSQL cluster in a temporary folder on a free port (initdb and pg_ctl of the
installed PostgreSQL, as the `postgres` user when the tests run as root), loaded with a copy of this run's
test database; the shared server the other tests use is never restarted."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from django.db import connection

from zhenggai.api.services import api_token_create

from .conftest import database_url, free_port, http, process_env, wait_until

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


class Cluster:
    """A private PostgreSQL cluster, owned by the `postgres` user when running as root."""

    def __init__(self, directory: Path) -> None:
        self.bin = Path(PG_BIN[-1])
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(directory, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/zhenggai"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def pg_ctl(self, action: str, *extra: str) -> None:
        """start, stop or restart, waiting for it; the server's output goes to a log file (never to our pipe,
        which a started server would keep open)."""
        if action in ("start", "restart"):
            options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
            extra = ("-l", str(self.directory / "server.log"), "-o", options, *extra)
        self.run("pg_ctl", action, "-D", str(self.data), "-w", "-t", "60", *extra)

    def create(self) -> None:
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        self.pg_ctl("start")
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "zhenggai")

    def load_copy_of(self, url: str) -> None:
        dump = subprocess.run([str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", url],
                              capture_output=True, check=True, timeout=120).stdout
        subprocess.run([str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", self.url], input=dump,
                       capture_output=True, check=True, timeout=120)

    def stop(self) -> None:
        self.run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", check=False)


@pytest.fixture
def cluster(postgresql_phase, transactional_db):
    if not PG_BIN:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed (/usr/lib/postgresql/*/bin)")
    directory = Path(tempfile.mkdtemp(prefix="zhenggai-pg-"))
    private = Cluster(directory)
    try:
        private.create()
        yield private
    finally:
        private.stop()
        shutil.rmtree(directory, ignore_errors=True)


class Load:
    """Requests from a thread, one after another, each recorded as (time, status or 0 for no answer)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base = base
        self.headers = headers
        self.results: list[tuple[float, int]] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        paths = ["/api/v1/tasks", "/readyz", "/portal/", "/api/v1/tasks?status=in_progress"]  # the API reads the database
        i = 0
        while not self.stopping.is_set():
            try:
                status = http(self.base + paths[i % len(paths)], headers=self.headers, timeout=10)[0]
            except OSError:
                status = 0
            self.results.append((time.monotonic(), status))
            i += 1

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)

    def since(self, moment: float) -> list[int]:
        return [status for at, status in self.results if at >= moment]


def test_the_app_answers_again_after_postgresql_restarts_under_load(world, cluster, processes, tmp_path):
    _token, secret = api_token_create(user=world.users.office, name="负载")
    headers = {"Authorization": f"Bearer {secret}"}
    cluster.load_copy_of(database_url())
    env = process_env(tmp_path / "data", cluster.url, ZHENGGAI_DB_CONN_MAX_AGE="600")
    server, base = processes.serve(env, workers=2)
    app_pids = {server.pid, *(c.pid for c in psutil.Process(server.pid).children(recursive=True))}
    assert len(app_pids) == 3

    with Load(base, headers) as load:
        wait_until(lambda: len(load.results) >= 20, timeout=60, what="the load to get going")
        assert set(load.since(0)) == {200}
        restart_started = time.monotonic()
        cluster.pg_ctl("restart", "-m", "fast")
        back = time.monotonic()
        wait_until(lambda: len(load.since(back)) >= 40, timeout=60, what="requests after the restart")
    after = load.since(back)
    assert after and set(after) == {200}, after  # the first request after the restart already succeeds
    assert any(at >= restart_started for at, _s in load.results)

    # the outage, seen from outside
    cluster.pg_ctl("stop", "-m", "fast")
    status, body = http(base + "/readyz")
    assert status == 503 and b'"database": "error' in body
    assert http(base + "/healthz")[0] == 200
    assert http(base + "/api/v1/tasks", headers=headers)[0] == 500
    cluster.pg_ctl("start")
    started = time.monotonic()
    wait_until(lambda: http(base + "/readyz")[0] == 200, timeout=5, interval=0.1, what="/readyz after the restart")
    recovered = time.monotonic() - started
    assert recovered < 5
    assert all(http(base + "/api/v1/tasks", headers=headers)[0] == 200 for _ in range(6))

    # the same processes throughout: nothing was restarted
    assert {server.pid, *(c.pid for c in psutil.Process(server.pid).children(recursive=True))} == app_pids
    assert connection.vendor == "postgresql"
