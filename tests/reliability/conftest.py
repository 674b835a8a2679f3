"""Real processes for the crash, restart and load tests: `zhenggai serve` (gunicorn), `zhenggai worker`,
import commands, locust. They run against the test database of this run (committed data: these tests use
`transactional_db`), each in its own process group, and are killed with SIGKILL when a test wants a crash.
Every process started here is killed at the end of its test, whatever happened."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import pty
import re
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The URL of this run's test database, for processes started by the tests."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(data_dir: Path, url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a `zhenggai` process: the test database, its own data folder, test settings
    (fast password hashing, static files from the source folders)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENGGAI_", "DJANGO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=url or database_url(), ZHENGGAI_DATA_DIR=str(data_dir), ZHENGGAI_TESTING="1",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
         timeout: float = 10) -> tuple[int, bytes]:
    """(status, body) of one request; connection errors raise OSError."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method="POST" if data is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until(condition, *, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Process:
    """A started process: its own session (process group), output in a log file or on a pseudo-terminal."""

    def __init__(self, popen: subprocess.Popen, log: Path | None, master_fd: int | None = None) -> None:
        self.popen = popen
        self.log = log
        self.master_fd = master_fd
        self.terminal = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        if self.log is not None and self.log.exists():
            return self.log.read_text(errors="replace")
        return self.terminal

    def read_terminal(self, timeout: float = 0.2) -> str:
        """What the process wrote to its terminal since the last call (progress bars write there)."""
        if self.master_fd is None:
            return ""
        chunks = []
        while True:
            ready, _w, _x = select.select([self.master_fd], [], [], timeout)
            if not ready:
                break
            try:
                data = os.read(self.master_fd, 65536)
            except OSError:  # the process has gone
                break
            if not data:
                break
            chunks.append(data.decode(errors="replace"))
            timeout = 0
        text = "".join(chunks)
        self.terminal += text
        return text

    def kill(self) -> int:
        """SIGKILL the whole process group (gunicorn's workers, the worker cluster's children) and reap."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        code = self.popen.wait(timeout=30)
        wait_until(lambda: not _group_alive(self.popen.pid), timeout=15, what="the process group to end")
        return code

    def close(self) -> None:
        if self.master_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.master_fd)
            self.master_fd = None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # zombies of the group count as gone
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


class Processes:
    """Starts processes and kills every one of them at the end of the test."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[Process] = []

    def start(self, args: list[str], *, env: dict[str, str], name: str, terminal: bool = False) -> Process:
        cwd = Path(env["ZHENGGAI_DATA_DIR"])
        cwd.mkdir(parents=True, exist_ok=True)
        if terminal:
            master, slave = pty.openpty()
            # an 80-column terminal: progress bars draw nothing on a terminal of width 0
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            popen = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                                     start_new_session=True)
            os.close(slave)
            process = Process(popen, None, master)
        else:
            log = self.directory / f"{name}-{len(self.started)}.log"
            with open(log, "wb") as out:
                popen = subprocess.Popen(args, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)
            process = Process(popen, log)
        self.started.append(process)
        return process

    def zhenggai(self, *args: str, env: dict[str, str], terminal: bool = False) -> Process:
        return self.start([sys.executable, "-m", "zhenggai", *args], env=env, name=args[0], terminal=terminal)

    def serve(self, env: dict[str, str], *, workers: int = 1) -> tuple[Process, str]:
        """`zhenggai serve` (gunicorn) on a free port; returns once it answers /healthz."""
        port = free_port()
        server = self.zhenggai("serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers), env=env)
        base = f"http://127.0.0.1:{port}"

        def up() -> bool:
            if server.popen.poll() is not None:
                raise AssertionError(f"the server stopped:\n{server.output()}")
            try:
                return http(base + "/healthz", timeout=2)[0] == 200
            except OSError:
                return False

        wait_until(up, timeout=60, interval=0.2, what="the server to answer")
        return server, base

    def kill_all(self) -> None:
        for process in self.started:
            with contextlib.suppress(Exception):
                process.kill()
            process.close()


@pytest.fixture
def processes(transactional_db, tmp_path) -> Iterator[Processes]:
    """Processes of one test, all killed at its end (before the test database is emptied again)."""
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.kill_all()


@pytest.fixture
def postgresql_phase() -> None:
    """For tests that are about PostgreSQL itself: they run in the PostgreSQL phase (`make test-postgres`)."""
    if connection.vendor != "postgresql":
        pytest.skip("about PostgreSQL: runs in the PostgreSQL phase of the suite (make test-postgres)")


def run_zhenggai(*args: str, env: dict[str, str], timeout: float = 180) -> tuple[int, str]:
    """Run a `zhenggai` command to its end: (exit code, stdout and stderr)."""
    done = subprocess.run([sys.executable, "-m", "zhenggai", *args], env=env, cwd=env["ZHENGGAI_DATA_DIR"],
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def assert_audit_intact() -> str:
    """`zhenggai verify-audit`: every chain verifies and every recorded state matches its last event."""
    out = io.StringIO()
    call_command("verify_audit", stdout=out, stderr=out)
    assert "链全部通过校验" in out.getvalue(), out.getvalue()
    return out.getvalue()


PROGRESS = re.compile(r"(\d+)/(\d+) \[")


def progress_of(terminal_text: str) -> int:
    """The last count a tqdm progress bar showed ("…| 30/80 [00:01<…")."""
    found = PROGRESS.findall(terminal_text)
    return int(found[-1][0]) if found else 0
