"""The app server killed with SIGKILL in the middle of a transition (an acceptor passes a task through the
API) leaves nothing half-done, and the transition then succeeds on a new server.

The moment: the test holds a lock the transition needs, so the server's transaction stays open while it
waits, and the server is killed then.
- PostgreSQL: the lock on the task's event-chain head. The transition has by then locked the task, created
  the acceptance review and the public notice, marked the application passed and moved the task; only its
  event is left to write. The wait shows in pg_stat_activity.
- SQLite: the database's write lock. The server's request waits for it in SQLite's busy handler (seen in
  /proc as a sleep), its transaction not yet able to write; SQLite's mid-transaction kill is covered by
  the import test."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

import psutil
import psycopg
from django.db import connection

from zhenggai.api.services import api_token_create
from zhenggai.core.models import Event, EventChain
from zhenggai.evidence.services import evidence_create
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import AcceptanceApplication, AcceptanceReview, PublicNotice, Task
from zhenggai.rectification.workflow import TaskStatus

from ..evidence import samples as s
from .conftest import assert_audit_intact, database_url, http, process_env, wait_until

ALL_OK = {key: True for key, _label in AcceptanceApplication.CRITERIA}


def applied_task(world) -> Task:
    task = world.t_dept
    tr.task_start(actor=world.users.staff, task=task)
    photo = evidence_create(actor=world.users.staff, task=task, category="after_photo",
                            file=s.upload("整改后.jpg", s.jpeg(), "image/jpeg"))
    tr.task_apply_for_acceptance(actor=world.users.head, task=Task.objects.get(pk=task.pk),
                                 statement="管网改造完成，已通水。", self_check=ALL_OK, evidence=[photo])
    return Task.objects.get(pk=task.pk)


def state(task: Task) -> dict:
    task.refresh_from_db()
    chain = EventChain.objects.get(key=f"task:{task.pk}")
    return {
        "task": (task.status, task.version, task.warning),
        "applications": list(AcceptanceApplication.objects.filter(task=task).values_list("status", flat=True)),
        "reviews": AcceptanceReview.objects.filter(application__task=task).count(),
        "notices": PublicNotice.objects.filter(task=task).count(),
        "events": Event.objects.count(),
        "chain": (chain.length, chain.head_hash),
    }


@contextmanager
def lock_held_against(task: Task):
    """Hold a lock the transition needs until the block ends; yields a function that tells whether a
    server process is waiting for it."""
    if connection.vendor == "postgresql":
        with psycopg.connect(database_url()) as holder:
            holder.execute("SELECT 1 FROM core_eventchain WHERE key = %s FOR UPDATE", [f"task:{task.pk}"])

            def waiting(_server_pid: int) -> bool:
                row = holder.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'").fetchone()
                return bool(row and row[0])

            try:
                yield waiting
            finally:
                holder.rollback()
    else:
        holder = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, timeout=20)
        holder.execute("BEGIN IMMEDIATE")

        def waiting(server_pid: int) -> bool:
            return any(_sleeping(child.pid) for child in psutil.Process(server_pid).children(recursive=True))

        try:
            yield waiting
        finally:
            holder.execute("ROLLBACK")
            holder.close()


def _sleeping(pid: int) -> bool:
    """The process sits in nanosleep/clock_nanosleep: SQLite's busy handler waiting for the write lock."""
    try:
        call = Path(f"/proc/{pid}/syscall").read_text().split()
    except OSError:
        return False
    return bool(call) and call[0] in {"35", "230"}


def test_server_killed_midway_through_a_transition_leaves_nothing_half_done(world, processes, tmp_path):
    task = applied_task(world)
    _token, secret = api_token_create(user=world.users.acceptor, name="验收")
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    body = json.dumps({"reasons": "现场核查合格", "contact_phone": "023-53222222"}).encode()
    env = process_env(tmp_path / "data")
    before = state(task)
    assert before["task"][0] == TaskStatus.ACCEPTANCE_REQUESTED

    server, base = processes.serve(env)
    assert http(f"{base}/api/v1/tasks/{task.pk}", headers=headers)[0] == 200  # the worker is warm
    answers: list[object] = []
    with lock_held_against(task) as waiting:
        request = threading.Thread(target=lambda: answers.append(_try_post(f"{base}/api/v1/tasks/{task.pk}/pass",
                                                                           body, headers)), daemon=True)
        request.start()
        wait_until(lambda: waiting(server.pid), timeout=30, what="the transition to wait for the lock")
        assert server.kill() == -signal.SIGKILL
        request.join(timeout=10)
    assert answers and isinstance(answers[0], OSError)  # the client saw the connection drop, no answer

    wait_until(lambda: _other_sessions() == 0, timeout=20, what="the killed server's database session to end")
    assert state(task) == before
    assert_audit_intact()

    _server, base = processes.serve(env)
    status, answer = http(f"{base}/api/v1/tasks/{task.pk}/pass", data=body, headers=headers)
    assert status == 200, answer.decode()
    after = state(task)
    assert after["task"][0] == TaskStatus.IN_PUBLIC_NOTICE
    assert after["applications"] == [AcceptanceApplication.Status.PASSED]
    assert (after["reviews"], after["notices"]) == (1, 1)
    assert after["chain"][0] > before["chain"][0]
    assert_audit_intact()


def _try_post(url: str, body: bytes, headers: dict[str, str]) -> object:
    try:
        return http(url, data=body, headers=headers, timeout=60)
    except OSError as error:
        return error


def _other_sessions() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        return cursor.fetchone()[0]
