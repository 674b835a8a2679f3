"""The OpenAPI schema is valid, and a schemathesis run over every operation, with a token of each role,
finds no server error and no answer that breaks the schema."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from zhenggai.api.urls import api
from zhenggai.rectification.rounds import report_save_draft, round_open

from .conftest import token_for

pytestmark = pytest.mark.django_db

ROLES = ["office", "staff2", "head2", "acceptor", "leader", "discipline", "admin"]  # one token per role
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def test_openapi_document_is_valid_and_complete(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    assert schema["openapi"].startswith("3.")
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 14
    for path, method, op in operations:
        if path.endswith("/health"):
            continue
        documented = set(op["responses"])
        if "/public/" in path:  # the portal's data: no sign-in, read only
            assert method == "get" and not op.get("security"), (method, path)
            assert {"422", "429"} <= documented, (method, path)
        else:
            assert {"401", "403", "404", "422", "429"} <= documented, (method, path)
        for code in documented - {"200", "201"}:
            ref = op["responses"][code]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorOut"), (method, path, code)
        if method in {"post", "patch"}:
            assert "409" in documented
            assert any(p["name"] == "Idempotency-Key" for p in op["parameters"]), (method, path)
        assert op.get("summary") and (op.get("security") or "/public/" in path), (method, path)
    docs = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in docs and "https://" not in docs  # served locally


@pytest.fixture
def wsgi_app():
    """The Django WSGI app in the test's transaction (as Django's test client does it)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_server_error_for_any_role(world, wsgi_app, settings):
    settings.ZHENGGAI_API_RATE_PER_MIN = 100_000
    rnd = round_open(actor=world.users.office, region=world.district, kind="monthly",
                     period_start=dt.date.today(), due_date=dt.date.today() + dt.timedelta(days=7))
    report = report_save_draft(actor=world.users.staff2, round=rnd, task=world.t_town,
                               data={"stage": "advancing", "description": "排查完成", "percent": 30})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == len([1 for item in api.get_openapi_schema()["paths"].values() for _m in item])
    started = time.monotonic()
    answers: Counter[tuple[str, int]] = Counter()
    for role in ROLES:
        headers = {"Authorization": f"Bearer {token_for(getattr(world.users, role))}"}
        existing = {"task_id": world.t_town.pk, "inspection_id": world.inspection.pk, "plan_id": world.plan.pk,
                    "round_id": rnd.pk, "report_id": report.pk}
        for operation in operations:
            names = [p.name for p in operation.path_parameters]
            real = {name: existing.get(name, 1) for name in names}  # 1: the first row of other tables
            has_input = bool(names or operation.query or operation.headers or operation.body)
            full = role == "office"  # malformed input is refused before roles matter: once is enough
            runs = [(GenerationMode.POSITIVE, 2 if full else 1, None)]
            if has_input and full:  # nothing to negate otherwise (hypothesis would search in vain for seconds)
                runs.append((GenerationMode.NEGATIVE, 1, None))
            if names:  # also against objects that exist, so that the code behind the 404 runs
                runs.append((GenerationMode.POSITIVE, 3 if full else 2, real))
            for mode, examples, path_parameters in runs:
                strategy = operation.as_strategy(generation_mode=mode, headers=headers,
                                                 path_parameters=path_parameters)

                @hypothesis_settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
                @given(case=strategy)
                def run(case):
                    response = case.call_and_validate(checks=CHECKS)
                    answers[(case.method, response.status_code)] += 1

                try:
                    run()
                except Unsatisfiable:
                    # nothing to negate: only parameters without constraints to break
                    assert mode == GenerationMode.NEGATIVE
    assert sum(answers.values()) >= len(ROLES) * len(operations) * 2
    # the run reached the code behind the checks: reads answered, and some writes carried out
    assert answers[("GET", 200)] > 50
    assert answers[("PATCH", 200)] + answers[("POST", 200)] + answers[("POST", 201)] > 0
    elapsed = time.monotonic() - started
    assert elapsed < 1.5 * len(operations), (len(operations), sum(answers.values()), elapsed)  # ~0.5 s each here


def test_no_two_schemas_share_a_name():
    """django-ninja names a component by its class name: two classes of one name would silently share one
    schema in the document (and one of them would be described wrongly)."""
    from ninja import Schema

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    ours = [cls for cls in subclasses(Schema) if cls.__module__.startswith("zhenggai.")]
    names = Counter(cls.__name__ for cls in ours)
    assert len(ours) > 20
    assert [name for name, n in names.items() if n > 1] == []
