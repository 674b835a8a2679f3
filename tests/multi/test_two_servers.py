"""Two app servers and two workers on one PostgreSQL and one Redis behave as one (docs/performance.md).

The arrangement is started for real on this machine: a fresh PostgreSQL database (migrated, seeded through
the services by tests/multi/seed.py), two `zhenggai serve` (gunicorn) app servers A and B on free ports and
two `zhenggai worker` (django-q2) processes, all with the same DATABASE_URL, REDIS_URL, data folder (the shared
media folder) and secret key, and their own Redis key prefix (ZHENGGAI_REDIS_PREFIX) so that nothing else
using the same Redis is touched. The test then proves, through HTTP only:
(a) a session made by signing in through A works on B;
(b) evidence uploaded through A is listed, downloaded (same bytes, SHA-256) and thumbnailed through B;
(c) a portal page cached (in Redis, under its ETag) through B changes on B after a write made through A;
(d) schedules due now run exactly once across the two workers, and the workers' own registration leaves
    every schedule once;
(e) a job queued by a request to A (an event-hook delivery) runs exactly once; the hook was created through
    B after A had cached "no hooks", so this also proves the per-process cache is invalidated across servers.
Every process, the database and the Redis keys are removed afterwards, also when the test fails.
Each server runs one gunicorn process so that which process answers is known; more only add the same.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
import requests
from django.conf import settings
from django.utils import timezone

from zhenggai.notifications.webhooks import DELIVER_TASK

from ..evidence import samples
from .jobs import RUNS_FILE
from .seed import DUE_SCHEDULES, PASSWORD

DB = settings.DATABASES["default"]
pytestmark = pytest.mark.skipif(DB["ENGINE"] != "django.db.backends.postgresql",
                                reason="several servers need PostgreSQL: runs in the PostgreSQL phase")

REPO = Path(__file__).resolve().parents[2]
# A Redis database for this test; keys carry a random prefix, so other users of it are never disturbed.
REDIS_TEST_URL = os.environ.get("ZHENGGAI_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
SITE_URL = "http://zhenggai.multi.test"  # every server makes the same absolute links and ETags
REAL_JOB = "api-idempotency-purge"  # a real daily job, harmless, forced due
SCHEDULER_TICK = 30  # django-q2 runs its scheduler every 30 s after a cluster starts


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(host=DB["HOST"] or "127.0.0.1", port=DB["PORT"] or 5432, user=DB["USER"],
                           password=DB["PASSWORD"] or None, dbname="postgres", autocommit=True)


class Receiver:
    """A webhook receiver on a free port, counting what it is sent."""

    def __init__(self) -> None:
        received: list[dict] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append({"headers": dict(self.headers), "json": json.loads(body)})
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode":0}')

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Arrangement:
    """The processes, database and Redis keys of one run; `close()` removes them all."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.data = tmp / "data"
        self.data.mkdir()
        self.database = f"zg_multi_{secrets.token_hex(5)}"
        self.prefix = f"zgmulti{secrets.token_hex(5)}"
        self.secret = secrets.token_urlsafe(40)
        self.redis = redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=5)
        self.processes: dict[str, subprocess.Popen] = {}
        self.created_database = False
        self.started = time.monotonic()
        self.phases: list[str] = []

    def phase(self, name: str) -> None:
        self.phases.append(f"{name} +{time.monotonic() - self.started:.1f} s")

    # --- set-up ---------------------------------------------------------------------------------------

    def database_url(self) -> str:
        credentials = quote(DB["USER"], safe="") + (":" + quote(DB["PASSWORD"], safe="") if DB["PASSWORD"] else "")
        return f"postgres://{credentials}@{DB['HOST'] or '127.0.0.1'}:{DB['PORT'] or 5432}/{self.database}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ZHENGGAI_", "DJANGO_", "DATABASE_", "REDIS_", "Q_CLUSTER"))
               and k.lower() not in {"http_proxy", "https_proxy", "all_proxy"}}
        env.update(
            DATABASE_URL=self.database_url(), REDIS_URL=REDIS_TEST_URL, ZHENGGAI_REDIS_PREFIX=self.prefix,
            ZHENGGAI_DATA_DIR=str(self.data), ZHENGGAI_SECRET_KEY=self.secret, ZHENGGAI_TESTING="1",
            ZHENGGAI_SITE_URL=SITE_URL, ZHENGGAI_WORKERS="1", ZHENGGAI_LOG_LEVEL="INFO",
            PYTHONPATH=str(REPO),  # the workers import tests.multi.jobs
        )
        # ZHENGGAI_TESTING: cookies over plain HTTP, static files found in the package (no collectstatic),
        # quick password hashing; everything else is configured as in production.
        return env

    def create_database(self) -> None:
        with admin_connection() as admin:
            admin.execute(f'CREATE DATABASE "{self.database}"')
        self.created_database = True

    def spawn(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, *args], env=self.env(), cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    @staticmethod
    def finish(process: subprocess.Popen, timeout: float = 180) -> str:
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"{process.args} failed:\n{out}\n{err}"
        return out

    def start(self, name: str, *args: str) -> None:
        log = (self.tmp / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "zhenggai", *args], env=self.env(), cwd=REPO, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,  # its own process group, stopped as one
        )

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join([", ".join(self.phases),
                          *(f"--- {name} ---\n{self.log(name)[-3000:]}" for name in self.processes)])

    def wait_until(self, what: str, check, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                assert process.poll() is None, f"{name} stopped while waiting for {what}"
            if check():
                return
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}")

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.database_url(), autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def redis_keys(self) -> list[str]:
        keys = [*self.redis.scan_iter(match=f"{self.prefix}:*"), *self.redis.scan_iter(match=f"django_q:{self.prefix}:*")]
        return sorted(k.decode() for k in keys)

    # --- tear-down ------------------------------------------------------------------------------------

    def close(self) -> None:
        # SIGTERM to each main process only: it stops its own children (gunicorn's workers, django-q2's
        # sentinel); a SIGTERM to django-q2's children as well kills them mid-way and hangs the main process
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            try:
                os.killpg(process.pid, signal.SIGKILL)  # anything of its group left behind
            except ProcessLookupError:
                pass
        self.phase("processes stopped")
        if os.environ.get("ZHENGGAI_TEST_MULTI_TIMINGS"):  # figures for docs/performance.md
            with open(os.environ["ZHENGGAI_TEST_MULTI_TIMINGS"], "a") as fh:
                fh.write("\n" + ", ".join(self.phases) + "\n")
        try:
            for key in self.redis_keys():
                self.redis.delete(key)
        except redis.RedisError:
            pass  # Redis was not reachable: the test already says so
        self.redis.close()
        if self.created_database:
            with admin_connection() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


@contextmanager
def arrangement(tmp: Path) -> Iterator[Arrangement]:
    arr = Arrangement(tmp)
    try:
        yield arr
    finally:
        arr.close()


def csrf_token(response: requests.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
    assert match, f"no CSRF token on {response.url} ({response.status_code})"
    return match.group(1)


def sign_in(base: str, username: str) -> requests.Session:
    """A browser's session: its cookies go to whichever server the proxy picks."""
    session = requests.Session()
    token = csrf_token(session.get(f"{base}/login/", timeout=30))
    answer = session.post(f"{base}/login/", data={"username": username, "password": PASSWORD,
                                                  "csrfmiddlewaretoken": token}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:2000]
    return session


def upload(session: requests.Session, base: str, task: int, *, name: str, data: bytes, content_type: str,
           category: str, public: bool) -> None:
    url = f"{base}/tasks/{task}/evidence/upload/"
    token = csrf_token(session.get(url, timeout=30))
    form = {"csrfmiddlewaretoken": token, "category": category, "description": name}
    if public:
        form["is_public"] = "on"
    answer = session.post(url, data=form, files=[("files", (name, data, content_type))], allow_redirects=False,
                          timeout=60)
    assert answer.status_code == 302, answer.text[:3000]


def test_two_app_servers_and_two_workers_behave_as_one(tmp_path):
    receiver = Receiver()
    try:
        with arrangement(tmp_path) as arr:
            try:
                arr.redis.ping()
            except redis.RedisError as exc:
                raise AssertionError(f"Redis is not reachable at {REDIS_TEST_URL} (set ZHENGGAI_TEST_REDIS_URL)") from exc
            arr.create_database()
            arr.finish(arr.spawn("-m", "zhenggai", "migrate", "--noinput", "-v0"))
            arr.phase("migrated")
            # the seed runs while the workers start: its schedules are due long before their first scheduler run
            seed = arr.spawn("-m", "tests.multi.seed")
            port_a, port_b = free_port(), free_port()
            arr.start("worker-1", "worker")
            arr.start("worker-2", "worker")
            arr.start("server-a", "serve", "--bind", f"127.0.0.1:{port_a}", "--workers", "1")
            arr.start("server-b", "serve", "--bind", f"127.0.0.1:{port_b}", "--workers", "1")
            a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
            ids = json.loads(arr.finish(seed).strip().splitlines()[-1])
            arr.phase("seeded")
            try:
                _check(arr, ids, a, b, receiver)
            except Exception as exc:
                raise AssertionError(f"{exc}\n{arr.logs()}") from exc
    finally:
        receiver.close()


def _ready(base: str) -> bool:
    try:
        answer = requests.get(f"{base}/readyz", timeout=10)
    except requests.RequestException:
        return False
    return answer.status_code == 200 and answer.json()["checks"]["broker"] == "ok"


def _check(arr: Arrangement, ids: dict, a: str, b: str, receiver: Receiver) -> None:
    running: dict[str, float] = {}

    def workers_running() -> bool:
        queue = f"[django_q:{arr.prefix}:q]"  # named by the cluster's "guarding" and "running" lines
        for name in ("worker-1", "worker-2"):
            if name not in running and arr.log(name).count(queue) >= 2:
                running[name] = time.monotonic()
        return len(running) == 2

    # (d) a real daily job made due as soon as the first worker has registered it: yesterday's 03:10 run,
    # not picked up yet, which the other worker's registration must keep (the first scheduler run is ~30 s away)
    arr.wait_until("the schedules' registration", lambda: arr.sql(
        "SELECT 1 FROM django_q_schedule WHERE name = %s", (REAL_JOB,)) != [], 120)
    yesterday = timezone.localtime() - dt.timedelta(days=1)
    arr.sql("UPDATE django_q_schedule SET next_run = %s WHERE name = %s",
            (yesterday.replace(hour=3, minute=10, second=0, microsecond=0), REAL_JOB))
    arr.phase("registered")
    arr.wait_until("both workers running", workers_running, 120)
    arr.phase("workers running")
    arr.wait_until("both app servers ready (database and Redis)", lambda: _ready(a) and _ready(b), 120)
    arr.phase("servers ready")
    # the two workers registered the schedules at the same moment: each exists once
    doubled = arr.sql("SELECT name, COUNT(*) FROM django_q_schedule GROUP BY name HAVING COUNT(*) > 1")
    assert doubled == [], doubled
    names = {row[0] for row in arr.sql("SELECT name FROM django_q_schedule")}
    assert {REAL_JOB, "daily-digest", *(f"multi-test-{n}" for n in range(1, DUE_SCHEDULES + 1))} <= names

    # (a) a session made through A works on B; without it B sends to the login page
    staff, admin = sign_in(a, "staff"), sign_in(a, "admin")
    on_b = staff.get(f"{b}/tasks/{ids['task']}/", timeout=30)
    assert on_b.status_code == 200 and "城区污水管网雨污混流" in on_b.text
    assert requests.get(f"{b}/tasks/{ids['task']}/", allow_redirects=False, timeout=30).status_code == 302

    # (c) the public task page cached through B, shared with A through Redis under one ETag
    portal = f"/portal/tasks/{ids['task']}/"
    first = requests.get(b + portal, timeout=30)
    assert first.status_code == 200 and "/thumb.jpg" not in first.text
    etag = first.headers["ETag"]
    assert f"{arr.prefix}:1:portal:page:{etag.strip(chr(34))}" in arr.redis_keys()
    assert requests.get(a + portal, headers={"If-None-Match": etag}, timeout=30).status_code == 304
    assert requests.get(a + portal, timeout=30).content == first.content

    # a write through A with no hook yet: A's process now holds "no hooks" in its cache
    pdf = samples.pdf()
    upload(staff, a, ids["task"], name="监测报告.pdf", data=pdf, content_type="application/pdf",
           category="monitoring", public=False)
    # (e) an event hook created through B …
    form_url = f"{b}/webhooks/new/"
    token = csrf_token(admin.get(form_url, timeout=30))
    created = admin.post(form_url, data={
        "csrfmiddlewaretoken": token, "organization": ids["office_org"], "name": "多服务器测试", "format": "generic",
        "url": receiver.url, "event_types": "evidence.*", "is_active": "on"}, allow_redirects=False, timeout=30)
    assert created.status_code == 302, created.text[:3000]
    time.sleep(1.2)  # CHECK_SECONDS of the hook cache
    # … is seen by A at the next write: its upload queues one delivery for the workers
    photo = samples.jpeg()
    upload(staff, a, ids["task"], name="整改前.jpg", data=photo, content_type="image/jpeg",
           category="before_photo", public=True)

    # (b) both uploads listed, downloaded and thumbnailed through B, byte for byte
    page = staff.get(f"{b}/tasks/{ids['task']}/", timeout=30).text
    assert "监测报告.pdf" in page and "整改前.jpg" in page
    stored = {name: (pk, sha) for pk, name, sha in arr.sql("SELECT id, original_name, sha256 FROM evidence_evidence")}
    for name, data in (("监测报告.pdf", pdf), ("整改前.jpg", photo)):
        pk, sha = stored[name]
        got = staff.get(f"{b}/evidence/{pk}/download/", timeout=30)
        assert got.status_code == 200 and got.content == data
        assert hashlib.sha256(got.content).hexdigest() == sha
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
    thumb = staff.get(f"{b}/evidence/{stored['整改前.jpg'][0]}/thumbnail/", timeout=30)
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg" and thumb.content[:2] == b"\xff\xd8"

    # (c) the write made through A changed the page B serves: new ETag, the photo shown
    after = requests.get(b + portal, headers={"If-None-Match": etag}, timeout=30)
    assert after.status_code == 200 and after.headers["ETag"] != etag
    photo_url = f"/portal/photos/{stored['整改前.jpg'][0]}/thumb.jpg"
    assert photo_url in after.text
    assert requests.get(b + photo_url, timeout=30).content[:2] == b"\xff\xd8"

    arr.phase("requests done")
    # (e) the delivery arrives once
    arr.wait_until("the event hook's delivery", lambda: len(receiver.received) >= 1, 30)

    # (d) wait until both workers' schedulers have run at least once, then count
    ticked = max(running.values()) + SCHEDULER_TICK + 4
    arr.wait_until("both workers' first scheduler run", lambda: time.monotonic() > ticked, SCHEDULER_TICK + 30)
    arr.wait_until("the due schedules' runs", lambda: _finished(arr, REAL_JOB) >= 1, 30)
    arr.phase("schedules run")
    runs_file = arr.data / RUNS_FILE
    runs = runs_file.read_text().split("\n") if runs_file.exists() else []
    tags = sorted(line.split()[0] for line in runs if line)
    assert tags == [f"job-{n}" for n in range(1, DUE_SCHEDULES + 1)], runs
    for n in range(1, DUE_SCHEDULES + 1):
        assert _finished(arr, f"multi-test-{n}") == 1
    assert _finished(arr, REAL_JOB) == 1
    (next_run,) = arr.sql("SELECT next_run > now() FROM django_q_schedule WHERE name = %s", (REAL_JOB,))
    assert next_run == (True,)

    # (e) exactly one delivery, one attempt, one job run
    assert len(receiver.received) == 1, receiver.received
    event = receiver.received[0]["json"]
    assert event["verb"] == "evidence.uploaded" and event["object"] == {
        "type": "task", "id": str(ids["task"]), "repr": event["object"]["repr"]}
    assert arr.sql("SELECT status, attempts FROM notifications_webhookdelivery") == [("sent", 1)]
    assert arr.sql("SELECT COUNT(*) FROM django_q_task WHERE func = %s", (DELIVER_TASK,)) == [(1,)]
    arr.phase("checked")



def _finished(arr: Arrangement, group: str) -> int:
    """How many runs of the schedule `group` the workers recorded as successful."""
    return int(arr.sql('SELECT COUNT(*) FROM django_q_task WHERE "group" = %s AND success', (group,))[0][0])
