"""Portal throughput: the application under gunicorn (two workers), loaded by 50 concurrent clients
from locust (headless, its own process), first on the portal plan page, then on `/healthz` (a trivial
view) on the same server. Prints requests per second of both, their ratio, p50 and p99."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .database import ROOT
from .report import Report, Row

RATIO_TARGET = 0.70
P99_TARGET_MS = 50.0
LOCUSTFILE = Path(__file__).with_name("locustfile.py")


@dataclass
class Load:
    path: str
    requests: int
    failures: int
    rps: float
    p50: float
    p99: float


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(env: dict[str, str], *, workers: int = 2) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "zhenggai.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level",
         "warning", "--timeout", "120"],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:  # noqa: S310 - local server
                if answer.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.3)
        if process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("gunicorn did not answer /healthz")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _percentile(histogram: dict[str, int], share: float) -> float:
    """A percentile from locust's histogram of response times (rounded milliseconds → count)."""
    times = sorted((float(ms), n) for ms, n in histogram.items())
    total = sum(n for _ms, n in times)
    seen = 0
    for ms, n in times:
        seen += n
        if seen >= share * total:
            return ms
    return times[-1][0] if times else 0.0


def load(base: str, path: str, env: dict[str, str], work: Path, *, users: int, seconds: int) -> Load:
    """One locust run; figures from its final statistics (JSON) of the one request name."""
    target = work / f"locust-{len(list(work.glob('locust-*.json')))}.json"
    locust = Path(sys.executable).with_name("locust")
    result = subprocess.run(
        [str(locust), "-f", str(LOCUSTFILE), "--headless", "-u", str(users), "-r", str(users), "-t", f"{seconds}s",
         "--host", base, "--json-file", str(target.with_suffix("")), "--only-summary", "--loglevel", "ERROR",
         "--stop-timeout", "5"],
        env={**env, "BENCH_PATH": path}, cwd=ROOT, check=False, capture_output=True, text=True,
    )
    try:
        entries = [e for e in json.loads(target.read_text(encoding="utf-8")) if e["name"] == path]
    except (FileNotFoundError, ValueError):
        entries = []
    if not entries or not entries[0]["num_requests"]:
        raise RuntimeError(f"locust wrote no figures for {path}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    entry = entries[0]
    elapsed = max(entry["last_request_timestamp"] - entry["start_time"], 1e-3)
    return Load(path=path, requests=entry["num_requests"], failures=entry["num_failures"],
                rps=entry["num_requests"] / elapsed, p50=_percentile(entry["response_times"], 0.50),
                p99=_percentile(entry["response_times"], 0.99))


def run_throughput(report: Report, env: dict[str, str], work: Path, *, portal_path: str, users: int = 50,
                   seconds: int = 20, log: Callable[[str], None] = print) -> Row:
    work.mkdir(parents=True, exist_ok=True)
    server, base = start_server(env)
    try:
        urllib.request.urlopen(base + portal_path, timeout=60).read()  # noqa: S310 - warm the page cache
        portal = load(base, portal_path, env, work, users=users, seconds=seconds)
        trivial = load(base, "/healthz", env, work, users=users, seconds=seconds)
    finally:
        stop_server(server)
    ratio = portal.rps / trivial.rps if trivial.rps else 0.0
    ok = ratio >= RATIO_TARGET and portal.p99 <= P99_TARGET_MS and portal.failures == 0
    notes = []
    if ratio < RATIO_TARGET:
        notes.append("ratio")
    if portal.p99 > P99_TARGET_MS:
        notes.append("p99")
    if portal.failures:
        notes.append("failures")
    row = report.add(Row(
        name=f"portal throughput, {users} clients", kind="throughput", median_ms=portal.p50, p95_ms=None,
        ratio=ratio, figure=portal.rps, unit="req/s",
        detail=(f"p99 {portal.p99:.0f} ms; /healthz {trivial.rps:.0f} req/s, p50 {trivial.p50:.0f} ms, "
                f"p99 {trivial.p99:.0f} ms; {portal.failures + trivial.failures} failures"),
        target=f"≥ {RATIO_TARGET:.0%} of /healthz, p99 ≤ {P99_TARGET_MS:.0f} ms", ok=ok, notes=notes,
    ))
    log(f"  portal {portal.rps:.0f} req/s (p50 {portal.p50:.0f} ms, p99 {portal.p99:.0f} ms), "
        f"/healthz {trivial.rps:.0f} req/s: ratio {ratio:.2f}")
    return row
