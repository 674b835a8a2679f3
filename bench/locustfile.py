"""A realistic mix of reading and writing for the soak run (bench/soak.py) and its short version in the test
suite. Run by `locust` in its own process (locust patches the standard library with gevent; never import
this module elsewhere).

Who is simulated (weights):
- unit staff (5): workbench, task list, task pages; now and then the progress report of a task, submitted
  with a photo when the form is open (on a phone this is the one-minute monthly report);
- unit heads (2): workbench, rounds, the report page of their tasks, approving a submitted report;
- the office and leaders (2): dashboards, filtered task lists, task pages;
- the public (4): the portal's home, plan, task, notice and results pages.

Accounts come from the environment: SOAK_STAFF, SOAK_HEADS, SOAK_OFFICE (comma-separated user names) and
SOAK_PASSWORD; the defaults are the demo's accounts. SOAK_WRITE_WEIGHT (default 1) weighs writing. A request fails when the server answers 5xx, does not
answer, or answers something a user would see as broken (a 403 on a page offered to them, a login that
does not sign in). A report form taken away by a colleague in the same second (the report was submitted
or approved meanwhile) is a normal answer, not a failure.
"""

from __future__ import annotations

import io
import os
import random
import re

from locust import HttpUser, between, task
from PIL import Image

PASSWORD = os.environ.get("SOAK_PASSWORD", "zhenggai-demo")
STAFF = os.environ.get("SOAK_STAFF", "staff,staff2,staff3").split(",")
HEADS = os.environ.get("SOAK_HEADS", "head,head2,head3").split(",")
OFFICE = os.environ.get("SOAK_OFFICE", "office,leader").split(",")
# How often staff report and heads review, against their other actions (the short run in the test suite
# writes more often, so that its 20 seconds see reports submitted and approved).
WRITE_WEIGHT = int(os.environ.get("SOAK_WRITE_WEIGHT", "1"))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TASK = re.compile(r'href="/tasks/(\d+)/"')
UNIT = re.compile(r'name="unit" value="(\d+)"')
PLAN = re.compile(r'href="/portal/plans/(\d+)/"')
PUBLIC_TASK = re.compile(r'href="/portal/tasks/(\d+)/"')


def _photo() -> bytes:
    """A phone-sized JPEG (about 100 KB) that differs on every call."""
    image = Image.effect_noise((640, 480), random.randint(20, 80)).convert("RGB")  # noqa: S311
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


class _Reader(HttpUser):
    abstract = True
    wait_time = between(1, 4)

    def page(self, url: str, name: str, *, ok: tuple[int, ...] = (200,)) -> str:
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code not in ok:
                response.failure(f"{response.status_code} on {url}")
                return ""
            return response.text


class _SignedIn(_Reader):
    abstract = True
    accounts: list[str] = []

    def on_start(self) -> None:
        self.username = random.choice(self.accounts)  # noqa: S311
        self.task_ids: list[str] = []
        form = self.page("/login/", "login page")
        token = CSRF.search(form)
        with self.client.post("/login/", name="sign in", allow_redirects=False, catch_response=True, data={
            "username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1) if token else "",
        }, headers={"Referer": self.host + "/login/"}) as response:
            if response.status_code != 302:
                response.failure(f"sign-in of {self.username} answered {response.status_code}")
        self.task_ids = sorted(set(TASK.findall(self.page("/tasks/", "task list"))))

    def some_task(self) -> str | None:
        return random.choice(self.task_ids) if self.task_ids else None  # noqa: S311


class UnitStaff(_SignedIn):
    weight = 5
    accounts = STAFF

    @task(3)
    def workbench(self) -> None:
        self.page("/", "workbench")

    @task(2)
    def task_list(self) -> None:
        self.page("/tasks/", "task list")

    @task(3)
    def task_page(self) -> None:
        pk = self.some_task()
        if pk:
            self.page(f"/tasks/{pk}/", "task page")

    @task(WRITE_WEIGHT)
    def progress_report(self) -> None:
        pk = self.some_task()
        if not pk:
            return
        form = self.page(f"/tasks/{pk}/report/", "report form")
        token, unit = CSRF.search(form), UNIT.search(form)
        if not (token and unit and 'value="submit"' in form):
            return  # already submitted, waiting for the head: nothing to write
        data = {
            "csrfmiddlewaretoken": token.group(1), "unit": unit.group(1), "action": "submit", "stage": "advancing",
            "percent": str(random.choice(range(10, 95, 5))), "description": "本月完成排查整治，现场照片附后。",  # noqa: S311
            "next_steps": "继续推进，下月完成验收准备。", "evidence_category": "after_photo",
        }
        files = {"attachments": ("现场.jpg", _photo(), "image/jpeg")}
        with self.client.post(f"/tasks/{pk}/report/", name="submit report with photo", data=data, files=files,
                              allow_redirects=False, catch_response=True,
                              headers={"Referer": f"{self.host}/tasks/{pk}/report/"}) as response:
            # 302: submitted; 200/400: the form answered with a message; 403: a colleague submitted the same
            # report a moment ago, so the form is no longer open
            if response.status_code in (302, 200, 400, 403):
                response.success()
            else:
                response.failure(f"{response.status_code} submitting the report of task {pk}")


class UnitHead(_SignedIn):
    weight = 2
    accounts = HEADS

    @task(2)
    def workbench(self) -> None:
        self.page("/", "workbench")

    @task(1)
    def rounds(self) -> None:
        self.page("/rounds/", "rounds")

    @task(3 * WRITE_WEIGHT)
    def review(self) -> None:
        pk = self.some_task()
        if not pk:
            return
        form = self.page(f"/tasks/{pk}/report/", "report form")
        token, unit = CSRF.search(form), UNIT.search(form)
        if not (token and unit and 'value="approve"' in form):
            return
        with self.client.post(f"/tasks/{pk}/report/", name="approve report", allow_redirects=False,
                              catch_response=True, headers={"Referer": f"{self.host}/tasks/{pk}/report/"},
                              data={"csrfmiddlewaretoken": token.group(1), "unit": unit.group(1),
                                    "action": "approve"}) as response:
            if response.status_code in (302, 200, 403):  # 200/403: approved by another head a moment ago
                response.success()
            else:
                response.failure(f"{response.status_code} approving the report of task {pk}")


class Office(_SignedIn):
    weight = 2
    accounts = OFFICE

    @task(3)
    def dashboard(self) -> None:
        self.page("/dashboards/", "dashboard", ok=(200, 302))

    @task(2)
    def filtered_tasks(self) -> None:
        self.page(random.choice(["/tasks/?status=in_progress", "/tasks/?warning=red", "/tasks/?q=污水"]),  # noqa: S311
                  "task list, filtered")

    @task(2)
    def task_page(self) -> None:
        pk = self.some_task()
        if pk:
            self.page(f"/tasks/{pk}/", "task page")

    @task(1)
    def workbench(self) -> None:
        self.page("/", "workbench")


class Public(_Reader):
    weight = 4

    def on_start(self) -> None:
        self.plans = sorted(set(PLAN.findall(self.page("/portal/", "portal home"))))
        self.public_tasks: list[str] = []
        if self.plans:
            self.public_tasks = sorted(set(PUBLIC_TASK.findall(self.page(f"/portal/plans/{self.plans[0]}/",
                                                                         "portal plan"))))

    @task(2)
    def home(self) -> None:
        self.page("/portal/", "portal home")

    @task(3)
    def plan(self) -> None:
        if self.plans:
            self.page(f"/portal/plans/{random.choice(self.plans)}/", "portal plan")  # noqa: S311

    @task(3)
    def public_task(self) -> None:
        if self.public_tasks:
            self.page(f"/portal/tasks/{random.choice(self.public_tasks)}/", "portal task")  # noqa: S311

    @task(1)
    def notices(self) -> None:
        self.page("/portal/notices/", "portal notices")

    @task(1)
    def results(self) -> None:
        self.page("/portal/results/", "portal results")
