"""A worker killed with SIGKILL in the middle of its jobs: the job it was running is handed out again by the
queue (django-q2 gives an unacknowledged job out again after ZHENGGAI_JOB_RETRY seconds), a new worker
finishes it, and the remote end gets every message once.

The jobs post signed event webhooks (one job per delivery) to a receiver run by the test: the remote end.
It accepts the first message (answers 200) and holds the second one unanswered; the worker is killed while
it waits for that answer. The receiver counts a message as received when it answers it: the held one never
was, so it must come again, once; the first must never come again."""

from __future__ import annotations

import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_q.models import OrmQ

from zhenggai.notifications.hook_services import webhook_target_save
from zhenggai.notifications.models import WebhookDelivery
from zhenggai.rectification import transitions as tr

from .conftest import process_env, wait_until


class Receiver:
    """The remote end: records each request's delivery id; holds the `hold`-th request unanswered until
    released, then drops it without an answer."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.requests: list[int] = []  # every delivery id that arrived, in order
        self.accepted: list[int] = []  # those answered 200
        self.held = threading.Event()
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                delivery = int(self.headers["X-Zhenggai-Delivery"])
                assert json.loads(body)["verb"] == "task.start"
                receiver.requests.append(delivery)
                if len(receiver.requests) == receiver.hold:
                    receiver.held.set()
                    receiver.release.wait(timeout=60)
                    self.close_connection = True
                    return  # no answer: the sender cannot know whether it arrived
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
                receiver.accepted.append(delivery)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    remote = Receiver(hold=2)
    yield remote
    remote.close()


def test_a_killed_worker_s_job_is_retried_and_nothing_is_sent_twice(world, processes, receiver, tmp_path):
    webhook_target_save(actor=world.users.admin, target=None, organization=world.office_org, name="区大数据平台",
                        url=receiver.url, format="generic", event_types=["task.start"])
    users = world.users
    for actor, task in [(users.staff, world.t_dept), (users.staff2, world.t_town), (users.sub, world.t_sub)]:
        tr.task_start(actor=actor, task=task)  # three events, three deliveries, three queued jobs
    deliveries = list(WebhookDelivery.objects.order_by("pk").values_list("pk", flat=True))
    assert len(deliveries) == 3 and OrmQ.objects.count() >= 3  # and the other jobs these changes queue

    # one worker process; a job not acknowledged within 6 s is handed out again; claims last 2 s
    env = process_env(tmp_path / "data", ZHENGGAI_WORKERS="1", ZHENGGAI_JOB_TIMEOUT="5", ZHENGGAI_JOB_RETRY="6",
                      ZHENGGAI_WEBHOOK_LEASE_SECONDS="2")
    worker = processes.zhenggai("worker", env=env)
    assert receiver.held.wait(timeout=90), worker.output()
    assert worker.kill() == -signal.SIGKILL
    receiver.release.set()
    first, in_flight = receiver.requests[:2]
    assert receiver.accepted == [first]
    assert WebhookDelivery.objects.get(pk=in_flight).status == WebhookDelivery.Status.SENDING

    replacement = processes.zhenggai("worker", env=env)
    wait_until(lambda: WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SENT).count() == 3,
               timeout=90, interval=0.2, what=f"every delivery to be sent:\n{replacement.output()}")
    wait_until(lambda: OrmQ.objects.count() == 0, timeout=30, interval=0.2, what="the queue to empty")

    assert sorted(receiver.accepted) == deliveries  # each message accepted exactly once
    assert receiver.requests.count(first) == 1  # what was delivered before the kill was not sent again
    assert receiver.requests.count(in_flight) == 2  # the unanswered one came again, once
    attempts = dict(WebhookDelivery.objects.values_list("pk", "attempts"))
    assert attempts[first] == 1 and attempts[in_flight] == 2
    assert sum(attempts.values()) == len(receiver.requests)
