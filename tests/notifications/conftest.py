from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from zhenggai.notifications.models import NotificationPreference, WebhookTarget


@pytest.fixture(autouse=True)
def _queue_runs_inline(monkeypatch, settings):
    """django-q2 in sync mode: a queued job runs in the test's thread and transaction, through the real
    django-q2 code path (the broker is not needed)."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    settings.ZHENGGAI_SITE_URL = "https://zg.example.cn"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@dataclass
class Robot:
    """A group-robot endpoint on 127.0.0.1: records each POST and answers with `status` and `answer`."""

    base: str = ""
    status: int = 200
    answer: dict[str, Any] = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    requests: list[dict[str, Any]] = field(default_factory=list)

    def url(self, path: str = "/robot/send", query: str = "access_token=test-token") -> str:
        return f"{self.base}{path}?{query}"


@pytest.fixture
def robot(monkeypatch) -> Iterator[Robot]:
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("no_proxy", "*")
    state = Robot()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            parts = urlsplit(self.path)
            state.requests.append({
                "path": parts.path, "query": parse_qs(parts.query), "content_type": self.headers.get("Content-Type"),
                "json": json.loads(body.decode("utf-8")),
            })
            data = json.dumps(state.answer).encode("utf-8")
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def prefer(user: Any, *, frequency: str = "daily", by_email: bool = True, by_webhook: bool = False) -> None:
    NotificationPreference.objects.update_or_create(
        user=user, defaults={"frequency": frequency, "by_email": by_email, "by_webhook": by_webhook}
    )


def with_email(user: Any, address: str | None = None) -> Any:
    user.email = address or f"{user.username}@example.cn"
    user.save(update_fields=["email"])
    return user


def target(org: Any, robot: Robot, *, fmt: str = WebhookTarget.Format.WECOM, secret: str = "",
           name: str | None = None, path: str = "/robot/send") -> WebhookTarget:
    return WebhookTarget.objects.create(
        organization=org, name=name or f"{org.name}{fmt}群", url=robot.url(path), format=fmt, secret=secret
    )


@dataclass
class Receiver:
    """Another system's endpoint: checks the signature with `secret`, answers 401 when it does not verify,
    otherwise the next status of `statuses` (200 when empty)."""

    base: str = ""
    secret: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"{self.base}/hooks/zhenggai"

    def bodies(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.received if r["verified"]]


def receiver_verifies(secret: str, headers: Any, body: bytes, tolerance: int = 300) -> bool:
    """The sample receiver's check (as in docs/webhooks.md)."""
    timestamp = headers.get("X-Zhenggai-Timestamp", "")
    signature = headers.get("X-Zhenggai-Signature", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("sha256=" + mac, signature)


@pytest.fixture
def receiver(monkeypatch) -> Iterator[Receiver]:
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("no_proxy", "*")
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 -- http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            ok = receiver_verifies(state.secret, self.headers, body)
            state.received.append({"path": self.path, "headers": dict(self.headers.items()), "raw": body,
                                   "json": json.loads(body.decode("utf-8")), "verified": ok})
            status = (state.statuses.pop(0) if state.statuses else 200) if ok else 401
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
