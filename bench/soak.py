"""Soak: 100 simulated users (bench/locustfile.py: unit staff reporting with photos, heads approving, the
office on dashboards, the public on the portal) for 5 minutes against gunicorn with two workers on
PostgreSQL with the demo loaded. Prints requests, failures, median and p95 per endpoint, and the resident
memory (RSS) of the app server's processes at the start, every 30 seconds and at the end.

    .venv/bin/python bench/soak.py [--users 100] [--seconds 300] [--keep]

The database is a new one on the PostgreSQL server of ZHENGGAI_BENCH_POSTGRES_URL (default
postgres://postgres@127.0.0.1:5432/postgres), dropped at the end unless --keep. Exits 1 when any request
failed. `make soak` runs it; tests/reliability/test_soak_smoke.py runs a short one in the test suite.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
ADMIN_URL = os.environ.get("ZHENGGAI_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


@dataclass
class Endpoint:
    name: str
    method: str
    requests: int
    failures: int
    median_ms: float
    p95_ms: float


@dataclass
class Summary:
    endpoints: list[Endpoint]
    total: Endpoint
    failures_text: str = ""
    exceptions_text: str = ""  # errors inside the simulated users (locust's exceptions file)
    rss_samples: list[tuple[float, dict[int, float]]] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def app_pids(master_pid: int) -> list[int]:
    import psutil

    master = psutil.Process(master_pid)
    return [master_pid, *(child.pid for child in master.children(recursive=True))]


def rss_mb(pids: list[int]) -> dict[int, float]:
    """Resident memory of each process, in MB."""
    import psutil

    result = {}
    for pid in pids:
        try:
            result[pid] = psutil.Process(pid).memory_info().rss / 1024 / 1024
        except psutil.NoSuchProcess:
            continue
    return result


def run_locust(base: str, *, users: int, seconds: int, env: dict[str, str], work: Path,
               master_pid: int | None = None, sample_every: float = 30.0, spawn_rate: int | None = None) -> Summary:
    """One headless locust run in its own process; figures from its CSV files. With `master_pid`, the RSS
    of the app server's processes is sampled while it runs."""
    work.mkdir(parents=True, exist_ok=True)
    prefix = work / "soak"
    locust = Path(sys.executable).with_name("locust")
    command = [str(locust), "-f", str(LOCUSTFILE), "--headless", "-u", str(users), "-r", str(spawn_rate or max(1, users // 10)),
               "-t", f"{seconds}s", "--host", base, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
               "--stop-timeout", "10"]
    samples: list[tuple[float, dict[int, float]]] = []
    done = threading.Event()

    def sample() -> None:
        started = time.monotonic()
        while master_pid and not done.wait(sample_every):
            samples.append((time.monotonic() - started, rss_mb(app_pids(master_pid))))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True, timeout=seconds + 120)
    finally:
        done.set()
        sampler.join(timeout=5)
    endpoints, total = [], None
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entry = Endpoint(name=row["Name"], method=row["Type"], requests=int(row["Request Count"]),
                             failures=int(row["Failure Count"]), median_ms=float(row["Median Response Time"] or 0),
                             p95_ms=float(row["95%"] or 0) if row["95%"] != "N/A" else 0.0)
            if row["Name"] == "Aggregated":
                total = entry
            else:
                endpoints.append(entry)
    if total is None:
        raise RuntimeError("locust wrote no figures")

    def rows_of(suffix: str) -> str:
        """The rows of one of locust's CSV files, without its header ("" when there are none)."""
        path = Path(f"{prefix}_{suffix}.csv")
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)[1:] if path.exists() else []
        return "".join(lines)

    return Summary(endpoints=endpoints, total=total, failures_text=rows_of("failures"),
                   exceptions_text=rows_of("exceptions"), rss_samples=samples)


def print_summary(summary: Summary, rss_start: dict[int, float], rss_end: dict[int, float], *, users: int,
                  seconds: int) -> None:
    print(f"\n{users} users for {seconds} s: {summary.total.requests} requests, {summary.total.failures} failures, "
          f"{summary.total.requests / seconds:.1f} requests/s, median {summary.total.median_ms:.0f} ms, "
          f"p95 {summary.total.p95_ms:.0f} ms")
    print(f"\n{'endpoint':<34} {'requests':>9} {'failures':>9} {'median ms':>10} {'p95 ms':>8}")
    for e in sorted(summary.endpoints, key=lambda e: -e.requests):
        print(f"{e.method + ' ' + e.name:<34} {e.requests:>9} {e.failures:>9} {e.median_ms:>10.0f} {e.p95_ms:>8.0f}")
    print("\nRSS of the app server (MB): process, start, end")
    for pid in rss_start:
        print(f"  {pid:<8} {rss_start[pid]:8.1f} {rss_end.get(pid, float('nan')):8.1f}")
    for at, sample in summary.rss_samples:
        print(f"  after {at:5.0f} s: " + ", ".join(f"{mb:.1f}" for mb in sample.values()))
    if summary.failures_text:
        print("\nfailures:\n" + summary.failures_text)
    if summary.exceptions_text:
        print("\nerrors in the simulated users:\n" + summary.exceptions_text)


def _zhenggai(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "zhenggai", *args], env=env, cwd=env["ZHENGGAI_DATA_DIR"], check=True,
                   stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the database and the data folder")
    args = parser.parse_args()

    import psycopg

    work = Path(tempfile.mkdtemp(prefix="zhenggai-soak-"))
    name = f"zg_soak_{secrets.token_hex(4)}"
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENGGAI_", "DJANGO_"))}
    env.update(DATABASE_URL=url, ZHENGGAI_DATA_DIR=str(work), ZHENGGAI_DEMO="1", PYTHONUNBUFFERED="1")
    server = None
    try:
        print(f"database {name}: migrating, loading the demo …", flush=True)
        _zhenggai("migrate", "--noinput", env=env)
        _zhenggai("load-demo", env=env)
        _zhenggai("collectstatic", "--noinput", env=env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "zhenggai.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", "2", "--access-logfile", "/dev/null", "--timeout", "120"],
            env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=open(work / "gunicorn.log", "wb"),  # noqa: SIM115
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        for path in ("/portal/", "/login/", "/readyz"):
            urllib.request.urlopen(base + path, timeout=60).read()
        pids = app_pids(server.pid)
        start = rss_mb(pids)
        print(f"gunicorn (2 workers) at {base}; {args.users} users for {args.seconds} s …", flush=True)
        summary = run_locust(base, users=args.users, seconds=args.seconds, env=env, work=work,
                             master_pid=server.pid)
        end = rss_mb(pids)
        print_summary(summary, start, end, users=args.users, seconds=args.seconds)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: database {name}, folder {work}")
    sys.exit(1 if summary.total.failures or summary.exceptions_text else 0)


if __name__ == "__main__":
    main()
