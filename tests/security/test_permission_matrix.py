"""The permission matrix (issue 8): every role × object kind × action × relation of `matrix.POLICY`, driven
through the staff pages (Django's test client), the API (a real token) and the admin, allowed exactly when
the table says so. Writes count as allowed only when they change the object; reads when the answer shows
it. A refused request for an object the role cannot see answers exactly as for an object that does not
exist (same status, same body once the path is set aside).

The data are built once for the module (rolled back afterwards); each case runs in its own savepoint."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from openpyxl import load_workbook
from PIL import Image

from tests import factories as f
from zhenggai.accounts.models import Organization, Region, Role, User
from zhenggai.api.services import api_token_create
from zhenggai.assessment import services as assessment_services
from zhenggai.assessment.models import Assessment, RuleSet
from zhenggai.complaints import services as complaint_services
from zhenggai.complaints.models import Complaint, HandoverBatch
from zhenggai.core.actors import system_actor
from zhenggai.evidence.models import Evidence
from zhenggai.evidence.services import evidence_create
from zhenggai.rectification import rounds
from zhenggai.rectification import transitions as tr
from zhenggai.rectification.models import AcceptanceApplication, Objection, ProgressReport, Task

from . import matrix
from .matrix import RELATIONS, ROLES

MISSING = 987_654_321  # a primary key no object has
CRITERIA = {key: True for key, _label in AcceptanceApplication.CRITERIA}
PAGE_CRITERIA = {f"check_{key}": "on" for key in CRITERIA}
MARKER = "矩阵写入标记"
_numbers = itertools.count(1)


def photo(name: str = "after.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (30, 140, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


# ---------------------------------------------------------------------------------------------- the data


def _build() -> SimpleNamespace:
    """A city with a district (the users' region), a township below it and a neighbouring district; in
    each relation of `matrix.RELATIONS` a unit, tasks in every state the actions need, a progress report
    in draft and one submitted, evidence, a public notice with a pending objection, complaints received,
    handled and submitted, a rule set and a computed assessment, and a user account."""
    system = system_actor()
    city = f.region("重庆市", level=Region.Level.CITY)
    district = f.region("梁平区", parent=city)
    township = f.region("双桂街道", parent=district, level=Region.Level.TOWNSHIP)
    other = f.region("垫江县", parent=city)
    gov = f.org("梁平区人民政府", region=district, kind=Organization.Kind.GOVERNMENT)
    office_org = f.org("区督察整改办", region=district, kind=Organization.Kind.OFFICE, parent=gov)
    unit = f.org("区生态环境局", region=district, parent=gov)
    units = {
        "own": unit,
        "sub": f.org("区生态环境局双桂生态环境所", region=township, kind=Organization.Kind.OTHER, parent=unit),
        "unrelated": f.org("区文化旅游委", region=district, parent=gov),
        "other_region": f.org("垫江县生态环境局", region=other),
    }
    cooperating = f.org("区水利局", region=district, parent=gov)
    regions = {"own": district, "sub": township, "unrelated": district, "other_region": other}

    def make(name: str, org: Organization | None, roles: list[str], **extra: Any) -> User:
        user = f.user(name, organization=org, roles=roles)
        if extra:
            User.objects.filter(pk=user.pk).update(**extra)
            user.refresh_from_db()
        return user

    users = {
        "office": make("mx_office", office_org, [Role.OFFICE]),
        "unit_staff": make("mx_staff", unit, [Role.UNIT_STAFF]),
        "unit_head": make("mx_head", unit, [Role.UNIT_HEAD]),
        "acceptor": make("mx_acceptor", unit, [Role.ACCEPTOR]),
        "leader": make("mx_leader", gov, [Role.LEADER]),
        "discipline": make("mx_discipline", gov, [Role.DISCIPLINE]),
        "admin": make("mx_admin", office_org, [Role.ADMIN], is_staff=True),
    }
    accounts = {rel: make(f"mx_member_{rel}", units[rel], [Role.UNIT_STAFF], title="经办人") for rel in RELATIONS}

    inspections = {"own": f.inspection(target_region=district, title="督察梁平区"),
                   "sub": f.inspection(target_region=township, title="督察双桂街道"),
                   "other_region": f.inspection(target_region=other, title="督察垫江县")}
    inspections["unrelated"] = inspections["own"]
    plans = {key: f.plan(inspection=insp, title=f"{insp.title}整改方案") for key, insp in inspections.items()
             if key != "unrelated"}
    plans["unrelated"] = plans["own"]
    batches = {key: HandoverBatch.objects.create(inspection=insp, number=1, handed_over=dt.date.today(),
                                                 reply_days=10)
               for key, insp in inspections.items() if key != "unrelated"}
    batches["unrelated"] = batches["own"]

    tasks: dict[str, dict[str, Task]] = {rel: {} for rel in RELATIONS}
    reports: dict[str, dict[str, ProgressReport]] = {rel: {} for rel in RELATIONS}
    evidence: dict[str, Evidence] = {}
    objections: dict[str, Objection] = {}
    complaints: dict[str, dict[str, Complaint]] = {rel: {} for rel in RELATIONS}
    rule_sets: dict[str, RuleSet] = {}
    assessments: dict[str, Assessment] = {}
    today = dt.date.today()
    for rel in RELATIONS:
        org, plan = units[rel], plans[rel]

        def task(state: str, rel: str = rel, org: Organization = org, plan: Any = plan) -> Task:
            number = next(_numbers)
            made = f.task(actor=system, plan=plan, number=number, units=[org], acceptance_unit=org,
                          region=regions[rel], title=f"矩阵任务{number}-{rel}-{state}")
            tasks[rel][state] = made
            return made

        task("not_started")
        reports[rel]["draft"] = rounds.report_save_draft(
            actor=accounts[rel], round=None, task=tasks[rel]["not_started"],
            data={"description": f"草稿进展-{rel}", "percent": 10})
        ip = task("in_progress")
        tr.task_start(actor=system, task=ip)
        evidence[rel] = evidence_create(actor=system, task=ip, file=photo(), category="after_photo")
        draft = rounds.report_save_draft(actor=accounts[rel], round=None, task=ip,
                                         data={"description": f"待审核进展-{rel}", "percent": 40})
        reports[rel]["submitted"] = rounds.report_submit(actor=accounts[rel], report=draft)
        for state in ("acceptance_requested", "notice_ended", "notice_open"):
            made = task(state)
            tr.task_start(actor=system, task=made)
            proof = evidence_create(actor=system, task=made, file=photo(), category="after_photo")
            tr.task_apply_for_acceptance(actor=system, task=made, statement="已完成整改", self_check=CRITERIA,
                                         evidence=[proof])
            if state == "notice_ended":
                tr.task_pass_acceptance(actor=system, task=made, notice_start=today - dt.timedelta(days=60))
            elif state == "notice_open":
                notice = tr.task_pass_acceptance(actor=system, task=made, notice_start=today)
                objections[rel] = tr.objection_lodge(notice=notice, content="河边仍有异味")
                tasks[rel]["notice"] = made
        for state in ("received", "handled", "submitted"):
            number = next(_numbers)
            case = complaint_services.complaint_create(actor=system, batch=batches[rel], data={
                "acceptance_number": f"D3CQ{today:%Y%m%d}{number:04d}", "summary": f"矩阵信访件{number}-{rel}-{state}",
                "region": regions[rel], "lead_unit": org, "pollution_types": ["air"],
                "complainant": {"name": f"信访人{rel}", "contact": "13800000000"}})
            if state != "received":
                case = complaint_services.complaint_handle(actor=system, complaint=case, data={
                    "investigation": "已现场核查", "truthfulness": "true", "handling": "已责令整改",
                    "status": "stage_done"})
            if state == "submitted":
                case = complaint_services.complaint_submit(actor=system, complaint=case)
            complaints[rel][state] = case
        rule_sets[rel] = assessment_services.rule_set_create(actor=system, region=regions[rel], name=f"考核细则-{rel}")
        made_assessment = assessment_services.assessment_create(
            actor=system, region=regions[rel], title=f"矩阵考核-{rel}", period_kind="year",
            start=dt.date(today.year, 1, 1), end=dt.date(today.year, 12, 31), rule_set=rule_sets[rel])
        assessments[rel] = assessment_services.assessment_compute(assessment=made_assessment, actor=system)

    pages: dict[str, Client] = {"public": Client()}
    tokens: dict[str, str] = {}
    for role, user in users.items():
        pages[role] = Client()
        pages[role].force_login(user)
        tokens[role] = api_token_create(user=user, name="矩阵")[1]
    return SimpleNamespace(users=users, accounts=accounts, units=units, cooperating=cooperating, tasks=tasks,
                           reports=reports, evidence=evidence, objections=objections, complaints=complaints,
                           rule_sets=rule_sets, assessments=assessments, pages=pages, tokens=tokens)


@pytest.fixture(scope="module")
def _media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(scope="module")
def mx(django_db_setup, django_db_blocker, _media):
    with override_settings(ZHENGGAI_API_RATE_PER_MIN=1_000_000), f.rolled_back(django_db_blocker, media_root=_media):
        yield _build()


@pytest.fixture(autouse=True)
def _media_root(settings, _media):
    """The files stored while building the module's data stay readable in every case."""
    settings.MEDIA_ROOT = _media


# ------------------------------------------------------------------------------------------- the surfaces


class Api:
    """The API as a role: a Bearer token (none for the public)."""

    def __init__(self, mx: Any, role: str) -> None:
        self.client = mx.pages["public"]
        self.headers = {"Authorization": f"Bearer {mx.tokens[role]}"} if role in mx.tokens else {}

    def get(self, path: str, data: Any = None) -> Any:
        return self.client.get("/api/v1" + path, data, headers=self.headers)

    def send(self, method: str, path: str, body: Any = None) -> Any:
        call = getattr(self.client, method)
        return call("/api/v1" + path, json.dumps(body or {}), content_type="application/json", headers=self.headers)

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post("/api/v1" + path, data, headers=self.headers)


@dataclass
class Ctx:
    mx: Any
    role: str
    rel: str

    @property
    def page(self) -> Client:
        return self.mx.pages[self.role]

    @property
    def api(self) -> Api:
        return Api(self.mx, self.role)

    def task(self, state: str) -> Task:
        return self.mx.tasks[self.rel][state]


def _ok(response: Any) -> bool:
    return response.status_code == 200


def _has(response: Any, text: str) -> bool:
    return response.status_code == 200 and text in response.content.decode()


def _api_ids(response: Any) -> set[int]:
    if response.status_code != 200:
        return set()
    data = response.json()
    return {item["id"] for item in (data["items"] if isinstance(data, dict) else data)}


def _xlsx_has(response: Any, text: str) -> bool:
    if response.status_code != 200:
        return False
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content),
                         read_only=True)
    return any(text in str(value) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
               for value in row if value is not None)


_cache: dict[tuple[str, ...], Any] = {}


def _once(key: tuple[str, ...], fetch: Callable[[], Any]) -> Any:
    """Lists and exports do not change between cases: fetched once per role and surface."""
    if key not in _cache:
        _cache[key] = fetch()
    return _cache[key]


@dataclass(frozen=True)
class Probe:
    """One way to try one action through one surface.

    `target(ctx)` gives the pk the request addresses; `run(ctx, pk)` makes the request and answers the
    response; `done(ctx, response)` says whether the action took place. `hidden_by` names the (kind,
    action) of the table whose refusal means the addressed object is hidden from the role: then the
    answer must equal the answer for `MISSING`. Lists and exports address no object (`target` None)."""

    kind: str
    action: str
    surface: str
    run: Callable[[Ctx, int], Any]
    done: Callable[[Ctx, Any], bool]
    target: Callable[[Ctx], int] | None = None
    hidden_by: tuple[str, str] | None = None


PROBES: list[Probe] = []


def probe(kind: str, action: str, surface: str, *, target: Callable[[Ctx], int] | None = None,
          hidden_by: tuple[str, str] | None = None,
          done: Callable[[Ctx, Any], bool] = lambda ctx, response: _ok(response)) -> Callable[..., Any]:
    def register(run: Callable[[Ctx, int], Any]) -> Callable[[Ctx, int], Any]:
        PROBES.append(Probe(kind, action, surface, run, done, target,
                            hidden_by if hidden_by is not None else ((kind, "view") if target else None)))
        return run
    return register


def _status(model: Any, pk: int, field: str = "status") -> Any:
    return model.objects.filter(pk=pk).values_list(field, flat=True).first()


# ------------------------------------------------------------------------------------------------- tasks

def _ns(ctx: Ctx) -> int:
    return ctx.task("not_started").pk


def _ip(ctx: Ctx) -> int:
    return ctx.task("in_progress").pk


def _ar(ctx: Ctx) -> int:
    return ctx.task("acceptance_requested").pk


def _ended(ctx: Ctx) -> int:
    return ctx.task("notice_ended").pk


@probe("task", "view", "page", target=_ns)
def _(ctx, pk):
    return ctx.page.get(f"/tasks/{pk}/")


@probe("task", "view", "api", target=_ns)
def _(ctx, pk):
    return ctx.api.get(f"/tasks/{pk}")


@probe("task", "view", "api-events", target=_ns)
def _(ctx, pk):
    return ctx.api.get(f"/tasks/{pk}/events")


@probe("task", "view", "admin", target=_ns)
def _(ctx, pk):
    return ctx.page.get(f"/admin/rectification/task/{pk}/change/")


@probe("task", "list", "page", done=lambda ctx, r: _has(r, f'data-task="{_ns(ctx)}"'))
def _(ctx, pk):
    return _once((ctx.role, "task-list-page"), lambda: ctx.page.get("/tasks/"))


@probe("task", "list", "api", done=lambda ctx, r: _ns(ctx) in _api_ids(r))
def _(ctx, pk):
    return _once((ctx.role, "task-list-api"), lambda: ctx.api.get("/tasks", {"page_size": 100}))


@probe("task", "list", "admin", done=lambda ctx, r: _has(r, ctx.task("not_started").title[:12]))
def _(ctx, pk):
    return _once((ctx.role, "task-list-admin"), lambda: ctx.page.get("/admin/rectification/task/"))


@probe("task", "export", "page", done=lambda ctx, r: _xlsx_has(r, ctx.task("not_started").title))
def _(ctx, pk):
    return _once((ctx.role, "task-export-page"), lambda: ctx.page.get("/tasks/export.xlsx"))


@probe("task", "export", "api", done=lambda ctx, r: _xlsx_has(r, ctx.task("not_started").title))
def _(ctx, pk):
    return _once((ctx.role, "task-export-api"), lambda: ctx.api.get("/tasks/export.xlsx"))


def _edited(ctx: Ctx, response: Any) -> bool:
    return _status(Task, _ns(ctx), "title") == MARKER


@probe("task", "edit", "page", target=_ns, done=_edited)
def _(ctx, pk):
    task = ctx.task("not_started")
    org = task.lead_unit_id
    return ctx.page.post(f"/tasks/{pk}/edit/", {
        "number": task.number, "title": MARKER, "goal": "", "implementing_units": [org], "lead_unit": org,
        "acceptance_unit": org, "responsible_leader": "", "deadline": "2025年12月31日", "due_year": "",
        "category": "", "measure_area": "", "remarks": "",
        "measures-TOTAL_FORMS": "1", "measures-INITIAL_FORMS": "0", "measures-MIN_NUM_FORMS": "0",
        "measures-MAX_NUM_FORMS": "1000", "measures-0-text": "排查管网", "measures-0-units": [org],
        "measures-0-deadline": "",
    })


@probe("task", "edit", "api", target=_ns, done=_edited)
def _(ctx, pk):
    return ctx.api.send("patch", f"/tasks/{pk}", {"title": MARKER})


def _moved(state: str, to: str) -> Callable[[Ctx, Any], bool]:
    return lambda ctx, response: _status(Task, ctx.task(state).pk) == to


@probe("task", "start", "page", target=_ns, done=_moved("not_started", "in_progress"))
def _(ctx, pk):
    return ctx.page.post(f"/tasks/{pk}/start/")


@probe("task", "start", "api", target=_ns, done=_moved("not_started", "in_progress"))
def _(ctx, pk):
    return ctx.api.send("post", f"/tasks/{pk}/start")


@probe("task", "apply", "page", target=_ip, done=_moved("in_progress", "acceptance_requested"))
def _(ctx, pk):
    return ctx.page.post(f"/tasks/{pk}/apply/", {"statement": "已完成", "evidence": [ctx.mx.evidence[ctx.rel].pk],
                                                  "category": "after_photo", **PAGE_CRITERIA})


@probe("task", "apply", "api", target=_ip, done=_moved("in_progress", "acceptance_requested"))
def _(ctx, pk):
    return ctx.api.send("post", f"/tasks/{pk}/apply", {"statement": "已完成", "self_check": CRITERIA,
                                                       "evidence": [ctx.mx.evidence[ctx.rel].pk]})


@probe("task", "pass", "page", target=_ar, done=_moved("acceptance_requested", "in_public_notice"))
def _(ctx, pk):
    return ctx.page.post(f"/tasks/{pk}/review/", {"decision": "pass", "reasons": "现场核查合格",
                                                   "check_date": "2025-06-10", "check_people": "王某"})


@probe("task", "pass", "api", target=_ar, done=_moved("acceptance_requested", "in_public_notice"))
def _(ctx, pk):
    return ctx.api.send("post", f"/tasks/{pk}/pass", {"reasons": "现场核查合格"})


@probe("task", "return", "page", target=_ar, done=_moved("acceptance_requested", "in_progress"))
def _(ctx, pk):
    return ctx.page.post(f"/tasks/{pk}/review/", {"decision": "return", "reasons": "溢流口未封堵"})


@probe("task", "return", "api", target=_ar, done=_moved("acceptance_requested", "in_progress"))
def _(ctx, pk):
    return ctx.api.send("post", f"/tasks/{pk}/return", {"reasons": "溢流口未封堵"})


@probe("task", "close", "page", target=_ended, done=_moved("notice_ended", "closed"))
def _(ctx, pk):
    return ctx.page.post(f"/tasks/{pk}/close/")


@probe("task", "close", "api", target=_ended, done=_moved("notice_ended", "closed"))
def _(ctx, pk):
    return ctx.api.send("post", f"/tasks/{pk}/close")


# ----------------------------------------------------------------------------------------------- reports

def _submitted(ctx: Ctx) -> ProgressReport:
    return ctx.mx.reports[ctx.rel]["submitted"]


def _draft(ctx: Ctx) -> ProgressReport:
    return ctx.mx.reports[ctx.rel]["draft"]


def _report_page(ctx: Ctx, task_pk: int, data: dict[str, Any] | None = None) -> Any:
    unit = ctx.mx.units[ctx.rel].pk
    if data is None:
        return ctx.page.get(f"/tasks/{task_pk}/report/", {"unit": unit})
    return ctx.page.post(f"/tasks/{task_pk}/report/", {"unit": unit, **data})


@probe("report", "view", "page", target=_ip, hidden_by=("task", "view"),
       done=lambda ctx, r: _has(r, _submitted(ctx).description))
def _(ctx, pk):
    return _report_page(ctx, pk)


@probe("report", "view", "api", target=_ip, hidden_by=("task", "view"),
       done=lambda ctx, r: _submitted(ctx).pk in _api_ids(r))
def _(ctx, pk):
    return ctx.api.get(f"/tasks/{pk}/reports")


def _written(ctx: Ctx, response: Any) -> bool:
    return ProgressReport.objects.filter(task_id=_ar(ctx), description=MARKER).exists()


@probe("report", "write", "page", target=_ar, hidden_by=("task", "view"), done=_written)
def _(ctx, pk):
    return _report_page(ctx, pk, {"action": "save", "stage": "advancing", "percent": "60", "description": MARKER,
                                  "next_steps": ""})


@probe("report", "write", "api", target=_ar, hidden_by=("task", "view"), done=_written)
def _(ctx, pk):
    return ctx.api.send("post", f"/tasks/{pk}/reports", {"description": MARKER, "percent": 60})


def _report_now(which: Callable[[Ctx], ProgressReport], status: str) -> Callable[[Ctx, Any], bool]:
    return lambda ctx, response: _status(ProgressReport, which(ctx).pk) == status


@probe("report", "submit", "page", target=_ns, hidden_by=("task", "view"), done=_report_now(_draft, "submitted"))
def _(ctx, pk):
    return _report_page(ctx, pk, {"action": "submit", "stage": "advancing", "percent": "10",
                                  "description": _draft(ctx).description, "next_steps": ""})


@probe("report", "submit", "api", target=lambda ctx: _draft(ctx).pk, done=_report_now(_draft, "submitted"))
def _(ctx, pk):
    return ctx.api.send("post", f"/reports/{pk}/submit")


@probe("report", "approve", "page", target=_ip, hidden_by=("task", "view"),
       done=_report_now(_submitted, "approved"))
def _(ctx, pk):
    return _report_page(ctx, pk, {"action": "approve"})


@probe("report", "approve", "api", target=lambda ctx: _submitted(ctx).pk, done=_report_now(_submitted, "approved"))
def _(ctx, pk):
    return ctx.api.send("post", f"/reports/{pk}/approve")


@probe("report", "return", "page", target=_ip, hidden_by=("task", "view"),
       done=_report_now(_submitted, "returned"))
def _(ctx, pk):
    return _report_page(ctx, pk, {"action": "return", "reason": "描述不具体"})


@probe("report", "return", "api", target=lambda ctx: _submitted(ctx).pk, done=_report_now(_submitted, "returned"))
def _(ctx, pk):
    return ctx.api.send("post", f"/reports/{pk}/return", {"reason": "描述不具体"})


# ---------------------------------------------------------------------------------------------- evidence

def _evidence(ctx: Ctx) -> int:
    return ctx.mx.evidence[ctx.rel].pk


@probe("evidence", "view", "page", target=_evidence)
def _(ctx, pk):
    return ctx.page.get(f"/evidence/{pk}/download/")


@probe("evidence", "view", "api", target=_evidence)
def _(ctx, pk):
    return ctx.api.get(f"/evidence/{pk}")


@probe("evidence", "view", "api-download", target=_evidence)
def _(ctx, pk):
    return ctx.api.get(f"/evidence/{pk}/download")


def _uploaded(ctx: Ctx, response: Any) -> bool:
    return Evidence.objects.filter(task_id=_ip(ctx), original_name="matrix.jpg").exists()


@probe("evidence", "upload", "page", target=_ip, hidden_by=("task", "view"), done=_uploaded)
def _(ctx, pk):
    return ctx.page.post(f"/tasks/{pk}/evidence/upload/", {"category": "after_photo", "files": [photo("matrix.jpg")]})


@probe("evidence", "upload", "api", target=_ip, hidden_by=("task", "view"), done=_uploaded)
def _(ctx, pk):
    return ctx.api.upload(f"/tasks/{pk}/evidence", {"category": "after_photo", "files": [photo("matrix.jpg")]})


# ----------------------------------------------------------------------------------------- public notices

def _notice(ctx: Ctx) -> int:
    return ctx.mx.objections[ctx.rel].notice_id


@probe("notice", "view", "api", target=_notice)
def _(ctx, pk):
    return ctx.api.get(f"/public-notices/{pk}")


@probe("notice", "list", "page", done=lambda ctx, r: _has(r, ctx.task("notice").title[:12]))
def _(ctx, pk):
    return _once((ctx.role, "notice-list-page"), lambda: ctx.page.get("/acceptance/"))


@probe("notice", "list", "api", done=lambda ctx, r: _notice(ctx) in _api_ids(r))
def _(ctx, pk):
    return _once((ctx.role, "notice-list-api"), lambda: ctx.api.get("/public-notices", {"page_size": 100}))


def _answered(ctx: Ctx, response: Any) -> bool:
    return _status(Objection, ctx.mx.objections[ctx.rel].pk) == Objection.Status.ANSWERED


@probe("notice", "answer", "page", target=lambda ctx: ctx.mx.objections[ctx.rel].pk, done=_answered)
def _(ctx, pk):
    return ctx.page.post(f"/objections/{pk}/answer/", {"answer": "经核实系上游来水"})


@probe("notice", "answer", "api", target=lambda ctx: ctx.mx.objections[ctx.rel].pk, done=_answered)
def _(ctx, pk):
    return ctx.api.send("post", f"/objections/{pk}/answer", {"answer": "经核实系上游来水", "upheld": False})


# -------------------------------------------------------------------------------------------- complaints

def _case(state: str) -> Callable[[Ctx], int]:
    return lambda ctx: ctx.mx.complaints[ctx.rel][state].pk


def _number(ctx: Ctx) -> str:
    return ctx.mx.complaints[ctx.rel]["received"].acceptance_number


@probe("complaint", "view", "page", target=_case("received"))
def _(ctx, pk):
    return ctx.page.get(f"/complaints/{pk}/")


@probe("complaint", "view", "api", target=_case("received"))
def _(ctx, pk):
    return ctx.api.get(f"/complaints/{pk}")


@probe("complaint", "view", "api-events", target=_case("received"))
def _(ctx, pk):
    return ctx.api.get(f"/complaints/{pk}/events")


@probe("complaint", "view", "admin", target=_case("received"))
def _(ctx, pk):
    return ctx.page.get(f"/admin/complaints/complaint/{pk}/change/")


@probe("complaint", "list", "page", done=lambda ctx, r: _has(r, _number(ctx)))
def _(ctx, pk):
    return _once((ctx.role, "complaint-list-page"), lambda: ctx.page.get("/complaints/"))


@probe("complaint", "list", "api", done=lambda ctx, r: _case("received")(ctx) in _api_ids(r))
def _(ctx, pk):
    return _once((ctx.role, "complaint-list-api"), lambda: ctx.api.get("/complaints", {"page_size": 100}))


@probe("complaint", "export", "page", done=lambda ctx, r: _xlsx_has(r, _number(ctx)))
def _(ctx, pk):
    return _once((ctx.role, "complaint-export-page"), lambda: ctx.page.get("/complaints/export.xlsx"))


@probe("complaint", "export", "api", done=lambda ctx, r: _xlsx_has(r, _number(ctx)))
def _(ctx, pk):
    return _once((ctx.role, "complaint-export-api"), lambda: ctx.api.get("/complaints/export.xlsx"))


@probe("complaint", "complainant", "page", target=_case("received"), hidden_by=("complaint", "view"),
       done=lambda ctx, r: _has(r, f"信访人{ctx.rel}"))
def _(ctx, pk):
    return ctx.page.get(f"/complaints/{pk}/")


@probe("complaint", "complainant", "api", target=_case("received"), hidden_by=("complaint", "view"),
       done=lambda ctx, r: _ok(r) and (r.json()["complainant"] or {}).get("name") == f"信访人{ctx.rel}")
def _(ctx, pk):
    return ctx.api.get(f"/complaints/{pk}")


def _assigned(ctx: Ctx, response: Any) -> bool:
    return Complaint.objects.filter(pk=_case("received")(ctx), cooperating_units=ctx.mx.cooperating).exists()


@probe("complaint", "assign", "page", target=_case("received"), done=_assigned)
def _(ctx, pk):
    return ctx.page.post(f"/complaints/{pk}/assign/", {"lead_unit": ctx.mx.units[ctx.rel].pk,
                                                        "cooperating_units": [ctx.mx.cooperating.pk]})


@probe("complaint", "assign", "api", target=_case("received"), done=_assigned)
def _(ctx, pk):
    return ctx.api.send("post", f"/complaints/{pk}/assign", {"lead_unit": ctx.mx.units[ctx.rel].pk,
                                                             "cooperating_units": [ctx.mx.cooperating.pk]})


def _handled(ctx: Ctx, response: Any) -> bool:
    return _status(Complaint, _case("received")(ctx), "investigation") == MARKER


COUNTERS = ("ordered_rectify", "penalized", "fine_amount", "investigated", "admin_detained", "criminal_detained",
            "interviewed", "held_accountable", "leads_transferred")


@probe("complaint", "handle", "page", target=_case("received"), done=_handled)
def _(ctx, pk):
    return ctx.page.post(f"/complaints/{pk}/handle/", {
        "investigation": MARKER, "truthfulness": "true", "handling": "", "status": "investigating",
        "evidence_category": "statement", **dict.fromkeys(COUNTERS, "0")})


@probe("complaint", "handle", "api", target=_case("received"), done=_handled)
def _(ctx, pk):
    return ctx.api.send("post", f"/complaints/{pk}/handle", {"investigation": MARKER})


def _review_now(state: str, status: str) -> Callable[[Ctx, Any], bool]:
    return lambda ctx, response: _status(Complaint, _case(state)(ctx), "review_status") == status


@probe("complaint", "submit", "page", target=_case("handled"), done=_review_now("handled", "submitted"))
def _(ctx, pk):
    return ctx.page.post(f"/complaints/{pk}/submit/")


@probe("complaint", "submit", "api", target=_case("handled"), done=_review_now("handled", "submitted"))
def _(ctx, pk):
    return ctx.api.send("post", f"/complaints/{pk}/submit")


@probe("complaint", "approve", "page", target=_case("submitted"), done=_review_now("submitted", "approved"))
def _(ctx, pk):
    return ctx.page.post(f"/complaints/{pk}/review/", {"decision": "approve", "note": ""})


@probe("complaint", "approve", "api", target=_case("submitted"), done=_review_now("submitted", "approved"))
def _(ctx, pk):
    return ctx.api.send("post", f"/complaints/{pk}/approve", {"note": ""})


# ------------------------------------------------------------------------------------------- assessments

def _assessment(ctx: Ctx) -> int:
    return ctx.mx.assessments[ctx.rel].pk


@probe("assessment", "view", "page", target=_assessment)
def _(ctx, pk):
    return ctx.page.get(f"/assessment/{pk}/")


@probe("assessment", "view", "api", target=_assessment)
def _(ctx, pk):
    return ctx.api.get(f"/assessments/{pk}")


@probe("assessment", "export", "page", target=_assessment, hidden_by=("assessment", "view"),
       done=lambda ctx, r: _xlsx_has(r, ctx.mx.units[ctx.rel].name))
def _(ctx, pk):
    return ctx.page.get(f"/assessment/{pk}/ranking.xlsx")


@probe("assessment", "export", "api", target=_assessment, hidden_by=("assessment", "view"),
       done=lambda ctx, r: _ok(r) and any(row["unit_id"] == ctx.mx.units[ctx.rel].pk for row in r.json()))
def _(ctx, pk):
    return ctx.api.get(f"/assessments/{pk}/ranking")


def _unit(ctx: Ctx) -> int:
    return ctx.mx.units[ctx.rel].pk


@probe("assessment", "unit_items", "page", target=_unit, hidden_by=("assessment", "unit_items"))
def _(ctx, pk):
    return ctx.page.get(f"/assessment/{_assessment(ctx)}/units/{pk}/")


@probe("assessment", "unit_items", "api", target=_unit, hidden_by=("assessment", "unit_items"))
def _(ctx, pk):
    return ctx.api.get(f"/assessments/{_assessment(ctx)}/units/{pk}/items")


def _rule_set(ctx: Ctx) -> int:
    return ctx.mx.rule_sets[ctx.rel].pk


@probe("assessment", "ruleset_edit", "page", target=_rule_set, hidden_by=("assessment", "ruleset_edit"),
       done=lambda ctx, r: _has(r, ctx.mx.rule_sets[ctx.rel].name))
def _(ctx, pk):
    return ctx.page.get(f"/assessment/rulesets/{pk}/")


@probe("assessment", "ruleset_edit", "api", target=_rule_set, hidden_by=("assessment", "ruleset_edit"),
       done=lambda ctx, r: _status(RuleSet, _rule_set(ctx), "name") == MARKER)
def _(ctx, pk):
    rules = [{"kind": r.kind, "label": r.label, "points": str(r.points), "params": r.params,
              "is_active": r.is_active, "sort_order": r.sort_order}
             for r in ctx.mx.rule_sets[ctx.rel].rules.all()]
    return ctx.api.send("put", f"/assessment-rule-sets/{pk}", {"name": MARKER, "base_points": "100", "rules": rules})


def _computed(ctx: Ctx, response: Any) -> bool:
    return _status(Assessment, _assessment(ctx), "computed_at") != ctx.mx.assessments[ctx.rel].computed_at


@probe("assessment", "compute", "page", target=_assessment, done=_computed)
def _(ctx, pk):
    return ctx.page.post(f"/assessment/{pk}/recompute/")


@probe("assessment", "compute", "api", target=_assessment, done=_computed)
def _(ctx, pk):
    return ctx.api.send("post", f"/assessments/{pk}/compute")


# ------------------------------------------------------------------------------------------------ users

def _account(ctx: Ctx) -> int:
    return ctx.mx.accounts[ctx.rel].pk


@probe("user", "view", "page", target=_account)
def _(ctx, pk):
    return ctx.page.get(f"/users/{pk}/edit/")


@probe("user", "view", "api", target=_account)
def _(ctx, pk):
    return ctx.api.get(f"/users/{pk}")


@probe("user", "view", "admin", target=_account)
def _(ctx, pk):
    return ctx.page.get(f"/admin/accounts/user/{pk}/change/")


@probe("user", "list", "page", done=lambda ctx, r: _has(r, ctx.mx.accounts[ctx.rel].username))
def _(ctx, pk):
    return _once((ctx.role, "user-list-page"), lambda: ctx.page.get("/users/"))


@probe("user", "list", "api", done=lambda ctx, r: _account(ctx) in _api_ids(r))
def _(ctx, pk):
    return _once((ctx.role, "user-list-api"), lambda: ctx.api.get("/users", {"page_size": 100}))


@probe("user", "list", "admin", done=lambda ctx, r: _has(r, ctx.mx.accounts[ctx.rel].username))
def _(ctx, pk):
    return _once((ctx.role, "user-list-admin"), lambda: ctx.page.get("/admin/accounts/user/"))


def _user_edited(ctx: Ctx, response: Any) -> bool:
    return _status(User, _account(ctx), "title") == MARKER


@probe("user", "edit", "page", target=_account, done=_user_edited)
def _(ctx, pk):
    account = ctx.mx.accounts[ctx.rel]
    return ctx.page.post(f"/users/{pk}/edit/", {
        "username": account.username, "last_name": "", "first_name": "", "organization": account.organization_id,
        "title": MARKER, "phone": "", "email": "", "is_active": "on", "roles": [Role.UNIT_STAFF], "password": ""})


@probe("user", "edit", "api", target=_account, done=_user_edited)
def _(ctx, pk):
    return ctx.api.send("patch", f"/users/{pk}", {"title": MARKER})


# ------------------------------------------------------------------------------------------- the cases


def expected(role: str, p: Probe, rel: str) -> bool:
    allowed = matrix.allowed(role, p.kind, p.action, rel)
    if p.surface == "admin":
        return allowed and role in matrix.ADMIN_SITE_ROLES
    return allowed


def _address(response: Any) -> str:
    """The path and query the request went to."""
    query = response.request.get("QUERY_STRING", "")
    return response.request["PATH_INFO"] + (f"?{query}" if query else "")


def _shape(response: Any, path: str) -> tuple[Any, ...]:
    """The answer with the addressed path (and its pk) set aside: what must not tell hidden from missing."""
    def clean(text: str) -> str:
        bare = path.split("?")[0]
        for form in (path, quote(path, safe=""), quote(path), path.replace("&", "&amp;"), bare, quote(bare, safe="")):
            text = text.replace(form, "<path>")
        return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', "", text)

    body = response.content.decode(errors="replace") if not response.streaming else "<stream>"
    return (response.status_code, response.get("Content-Type", ""), clean(response.get("Location", "")), clean(body))


CASES = [pytest.param(role, p, rel, id=f"{p.kind}-{p.action}-{p.surface}-{role}-{rel}")
         for p in PROBES for role in ROLES for rel in RELATIONS]


@pytest.mark.parametrize(("role", "p", "rel"), CASES)
def test_permission_matrix(mx, db, role, p, rel):
    ctx = Ctx(mx, role, rel)
    ctx.page.cookies.pop("messages", None)  # a message left by an earlier case would show on this page
    pk = p.target(ctx) if p.target is not None else 0
    response = p.run(ctx, pk)
    assert response.status_code < 500, response.content[:500]
    took = p.done(ctx, response)
    want = expected(role, p, rel)
    assert took is want, (f"{role} {'may' if want else 'may not'} {p.kind}.{p.action} ({rel}) through "
                          f"{p.surface}: answered {response.status_code} {response.content[:300]!r}")
    if took or p.target is None or p.hidden_by is None:
        return
    hidden = not matrix.allowed(role, *p.hidden_by, rel) or (p.surface == "admin"
                                                            and role not in matrix.ADMIN_SITE_ROLES)
    if hidden:
        assert response.status_code in (302, 401, 403, 404), response.status_code
        path = _address(response)
        last = list(re.finditer(rf"/{pk}(?=[/.?]|$)", path))[-1]
        missing_path = f"{path[:last.start()]}/{MISSING}{path[last.end():]}"
        missing = _once((role, p.kind, p.action, p.surface, missing_path), lambda: p.run(ctx, MISSING))
        assert _address(missing) == missing_path
        assert _shape(response, path) == _shape(missing, missing_path), (
            f"{role}: a hidden {p.kind} answers differently from a missing one through {p.surface}")


def test_every_action_of_the_table_is_driven_through_pages_and_api():
    driven: dict[tuple[str, str], set[str]] = {}
    for p in PROBES:
        driven.setdefault((p.kind, p.action), set()).add(p.surface)
    assert set(driven) == set(matrix.POLICY)
    thin = {key for key, surfaces in driven.items() if not {"page", "api"} <= surfaces and key != ("notice", "view")}
    assert not thin, thin
    assert len(CASES) >= 1000


def test_the_documented_matrix_is_the_table():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text(encoding="utf-8")
    assert matrix.markdown() in doc, "docs/security.md: paste matrix.markdown() into the Permission matrix section"
