"""The public API (/api/v1/public/…): no authentication, exactly what the portal shows — the same rows as
the portal's open data for the loaded demo — with the portal's caching headers; and no internal marker,
staff name or complainant datum in any answer (every public route crawled with the demo's ids)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.portal import conftest as portal_fixtures
from zhenggai.accounts.models import User
from zhenggai.accounts.policies import is_system_actor
from zhenggai.complaints.models import Complainant, HandoverBatch
from zhenggai.complaints.publication import published_batches
from zhenggai.demo.internal_markers import INTERNAL_MARKERS
from zhenggai.inspections.models import Plan
from zhenggai.rectification.models import PublicNotice, Task

# the portal tests' fixtures: the demo loaded once for the module, its media folder, an empty cache
portal_media = portal_fixtures.portal_media
loaded_demo = portal_fixtures.loaded_demo
demo = portal_fixtures.demo
_media_root = portal_fixtures._media_root
_empty_cache = portal_fixtures._empty_cache
pytestmark = pytest.mark.django_db
ALL = {"page_size": 100}


def items(client: Client, path: str, **params) -> list[dict]:
    answer = client.get(path, {**ALL, **params})
    assert answer.status_code == 200, (path, answer.content[:300])
    body = answer.json()
    assert body["count"] <= 100
    return body["items"]


def opendata(client: Client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200
    return json.loads(response.content)["rows"]


def without(rows: list[dict], *keys: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in keys} for row in rows]


def test_public_answers_are_the_open_data(demo, client):
    plans = items(client, "/api/v1/public/plans")
    assert plans and plans == opendata(client, "/portal/data/plans.json")
    for plan in plans:
        tasks = items(client, f"/api/v1/public/plans/{plan['id']}/tasks")
        assert without(tasks, "id") == opendata(client, f"/portal/data/plans/{plan['id']}/tasks.json")
        assert {t["id"] for t in tasks} == set(Task.objects.filter(plan_id=plan["id"]).values_list("pk", flat=True))
    assert items(client, "/api/v1/public/notices") == opendata(client, "/portal/data/notices.json")
    assert items(client, "/api/v1/public/results") == opendata(client, "/portal/data/results.json")
    published = []
    for batch in items(client, "/api/v1/public/complaint-batches"):
        detail = client.get(f"/api/v1/public/complaint-batches/{batch['id']}").json()
        assert detail["count"] == len(detail["rows"]) == batch["count"]
        published += [{"inspection": batch["inspection"], "batch": batch["number"],
                       "published_date": batch["published_date"],
                       **{f"c{i}": cell for i, cell in enumerate(row["cells"], start=1)}} for row in detail["rows"]]
    assert published and published == opendata(client, "/portal/data/complaints.json")
    figures = client.get("/api/v1/public/figures").json()
    assert figures["complaints"]["total"] == len(published)
    assert figures["tasks"]["total"] == Task.objects.filter(plan__published_date__isnull=False).count()


def test_filters_and_hidden_objects_as_the_portal(demo, client):
    plan = Plan.objects.filter(published_date__isnull=False).first()
    for params in ({"status": "closed"}, {"category": "water"}, {"schedule": "behind"}, {"year": 2025}):
        portal = client.get(f"/portal/plans/{plan.pk}/", params).content.decode()
        rows = items(client, f"/api/v1/public/plans/{plan.pk}/tasks", **params)
        assert all(f"/portal/tasks/{r['id']}/" in portal for r in rows), params
    unpublished = Plan.objects.filter(published_date__isnull=True).first()
    missing = client.get("/api/v1/public/plans/987654")
    assert missing.status_code == 404
    hidden = [f"/api/v1/public/complaint-batches/{b.pk}" for b in HandoverBatch.objects.filter(published_at=None)]
    if unpublished is not None:
        hidden += [f"/api/v1/public/plans/{unpublished.pk}", f"/api/v1/public/plans/{unpublished.pk}/tasks"]
        hidden += [f"/api/v1/public/tasks/{t.pk}" for t in unpublished.tasks.all()[:3]]
    withdrawn = PublicNotice.objects.filter(status=PublicNotice.Status.WITHDRAWN).first()
    if withdrawn is not None:
        hidden.append(f"/api/v1/public/notices/{withdrawn.pk}")
    assert hidden
    for path in hidden:
        answer = client.get(path)
        assert (answer.status_code, answer.json()) == (404, missing.json()), path
    assert client.get(f"/api/v1/public/plans/{plan.pk}/tasks", {"status": "bogus"}).status_code == 422


def test_caching_headers_and_conditional_get(demo, client):
    first = client.get("/api/v1/public/plans")
    assert first["Cache-Control"] == "public, max-age=60"
    assert first["ETag"].startswith('"') and first.has_header("Last-Modified")
    again = client.get("/api/v1/public/plans", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304 and again["ETag"] == first["ETag"] and not again.content
    other_page = client.get("/api/v1/public/plans", {"page_size": 1})
    assert other_page["ETag"] != first["ETag"]
    plan = Plan.objects.filter(published_date__isnull=False).first()
    plan.title += "（修订）"
    plan.save()  # a new change time: a new fingerprint of the public data
    changed = client.get("/api/v1/public/plans", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def _crawl(client: Client) -> dict[str, str]:
    """Every public route with the demo's ids: path → answer body."""
    answers: dict[str, str] = {}

    def get(path: str, **params) -> dict:
        response = client.get(path, {**ALL, **params})
        assert response.status_code == 200, path
        answers[f"{path}?{params}"] = response.content.decode()
        return response.json()

    get("/api/v1/public/figures")
    get("/api/v1/public/results")
    for notice in get("/api/v1/public/notices")["items"]:
        get(f"/api/v1/public/notices/{notice['id']}")
    for batch in get("/api/v1/public/complaint-batches")["items"]:
        get(f"/api/v1/public/complaint-batches/{batch['id']}")
    for plan in get("/api/v1/public/plans")["items"]:
        get(f"/api/v1/public/plans/{plan['id']}")
        for task in get(f"/api/v1/public/plans/{plan['id']}/tasks")["items"]:
            get(f"/api/v1/public/tasks/{task['id']}")
            get(f"/api/v1/public/tasks/{task['id']}/timeline")
    return answers


def test_no_internal_data_in_any_public_answer(demo, client):
    answers = _crawl(client)
    assert len(answers) > 20
    assert any("/timeline" in path for path in answers) and any("/complaint-batches/" in path for path in answers)
    forbidden = set(INTERNAL_MARKERS)
    for user in User.objects.all():
        if is_system_actor(user):
            continue  # "系统" names no person, and is a common word of published texts (污水处理系统)
        forbidden.add(user.username)
        if len(user.get_full_name()) >= 2:
            forbidden.add(user.get_full_name())
    for person in Complainant.objects.all():
        forbidden |= {value for value in (person.name, person.contact, person.id_number) if len(value) >= 2}
    assert published_batches().exists() and len(forbidden) > len(INTERNAL_MARKERS)
    for path, body in answers.items():
        text = json.loads(body)
        flat = json.dumps(text, ensure_ascii=False)
        found = [word for word in forbidden if _mentions(flat, word)]
        assert not found, (path, found)


def _mentions(text: str, word: str) -> bool:
    """Whether `word` occurs in `text` as a value's content (usernames like "office" are checked as whole
    JSON strings or words, not as parts of other words such as URLs)."""
    if word.isascii():
        import re

        return re.search(rf'(?<![\w/.-]){re.escape(word)}(?![\w/.-])', text) is not None
    return word in text
