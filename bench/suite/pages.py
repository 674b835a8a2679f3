"""Server time, SQL query count and main-query time of the key pages and API calls.

Each page is requested through Django's test client as the right role: warm-up requests first, then
`rounds` timed requests (the time spent inside Django's handler, middleware included). One extra
request runs with every SQL statement timed; the slowest one is the page's *main query*, which is then
run again directly on the database driver (psycopg on PostgreSQL, sqlite3 on SQLite), without Django,
`rounds` times. The ratio page median / main-query median says how much the application adds on top of
the database. Lists are also requested at another page size (or their last page) and both query counts
are printed: the count must not grow with the rows shown.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .report import DASHBOARD_P95_MS, STAFF_P95_MS, Report, Row, judge_page, median, percentile

UNCACHED = "uncached"


@dataclass
class Page:
    name: str
    role: str  # a key of Subjects.users; "" for anonymous
    url: str
    alt_url: str = ""  # the same list at another size: its query count must not be higher
    dashboard: bool = False
    cache: str = ""  # UNCACHED: clear Django's cache before each request (the portal's page cache)


@dataclass
class Subjects:
    """Who and what the pages are requested for, chosen from the data: the office and leader of the
    widest region, the staff of the unit with the most tasks, the largest plan, a busy task."""

    users: dict[str, Any]
    unit: Any
    plan: Any
    task: Any
    public_plan: Any
    assessment: Any
    status: str


def _user(role: str) -> Any:
    from django.db.models.functions import Length

    from zhenggai.accounts.models import User

    return (
        User.objects.filter(is_active=True, roles__role=role, organization__isnull=False)
        .select_related("organization__region")
        .order_by(Length("organization__region__path"), "id")
        .first()
    )


def choose_subjects() -> Subjects:
    from django.db.models import Count

    from zhenggai.accounts.models import Organization, Role, User
    from zhenggai.assessment.models import Assessment
    from zhenggai.inspections.models import Plan
    from zhenggai.rectification.models import Task

    office = _user(Role.OFFICE)
    leader = _user(Role.LEADER) or office
    through = Task.implementing_units.through
    busiest = (
        through.objects.filter(organization__users__roles__role=Role.UNIT_STAFF)
        .values("organization_id").annotate(n=Count("task_id", distinct=True)).order_by("-n", "organization_id").first()
    )
    unit = Organization.objects.get(pk=busiest["organization_id"]) if busiest else office.organization
    staff = (User.objects.filter(is_active=True, organization=unit, roles__role=Role.UNIT_STAFF).order_by("id").first()
             or office)
    plan = Plan.objects.annotate(n=Count("tasks")).order_by("-n", "id").first()
    public_plan = (Plan.objects.filter(published_date__isnull=False).annotate(n=Count("tasks")).order_by("-n", "id").first()
                   or plan)
    task = (Task.objects.filter(plan=plan).annotate(n=Count("measures")).order_by("-n", "number").first())
    assessment = Assessment.objects.order_by("-end", "-id").first()
    status = (Task.objects.values("status").annotate(n=Count("id")).order_by("-n").first() or {}).get("status", "")
    return Subjects(users={"office": office, "leader": leader, "staff": staff}, unit=unit, plan=plan, task=task,
                    public_plan=public_plan, assessment=assessment, status=status)


def page_list(s: Subjects) -> list[Page]:
    from django.urls import reverse

    last = "page=999999"  # the paginator answers the last page: fewer rows than a full one
    tasks = reverse("task_list")
    pages = [
        Page("workbench (unit staff)", "staff", reverse("workbench")),
        Page("workbench (office)", "office", reverse("workbench")),
        Page("task list by unit", "office", f"{tasks}?unit={s.unit.pk}", alt_url=f"{tasks}?unit={s.unit.pk}&{last}"),
        Page("task list by status", "office", f"{tasks}?status={s.status}", alt_url=f"{tasks}?status={s.status}&{last}"),
        Page("task list (unit staff)", "staff", tasks, alt_url=f"{tasks}?{last}"),
        Page("task detail", "office", reverse("task_detail", args=[s.task.pk])),
        Page("office dashboard", "office", reverse("dashboard_office"), dashboard=True),
        Page("leader dashboard", "leader", reverse("dashboard_leader"), dashboard=True),
        Page("complaint list", "office", reverse("complaint_list"), alt_url=reverse("complaint_list") + f"?{last}"),
        Page("complaint statistics", "office", reverse("complaint_statistics"), dashboard=True),
    ]
    if s.assessment is not None:
        pages.append(Page("assessment ranking", "office", reverse("assessment_detail", args=[s.assessment.pk])))
    api = f"/api/v1/public/plans/{s.public_plan.pk}/tasks"
    pages += [
        Page("portal plan page", "", reverse("portal:plan_detail", args=[s.public_plan.pk]), cache=UNCACHED),
        Page("portal plan page (cached)", "", reverse("portal:plan_detail", args=[s.public_plan.pk])),
        Page("portal notice list", "", reverse("portal:notice_list"), cache=UNCACHED),
        Page("public API task list", "", f"{api}?page_size=100", alt_url=f"{api}?page_size=10", cache=UNCACHED),
    ]
    return pages


@dataclass
class Timed:
    sql: str
    params: Any
    ms: float


def _capture(run: Callable[[], Any]) -> tuple[Any, list[Timed]]:
    from django.db import connection

    captured: list[Timed] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not many:
                captured.append(Timed(sql, params, (time.perf_counter() - start) * 1000))

    with connection.execute_wrapper(wrapper):
        result = run()
    return result, captured


def direct_query_ms(sql: str, params: Any, rounds: int) -> float:
    """Median time of `sql` run on the driver's own cursor (no ORM, no Django wrapper), fetching all
    rows. Main queries are reads (SELECT)."""
    from django.db import connection

    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "sqlite":  # Django's wrapper turns %s into sqlite3's ? placeholders
        from django.db.backends.sqlite3.base import FORMAT_QMARK_REGEX

        sql = FORMAT_QMARK_REGEX.sub("?", sql).replace("%%", "%")
    times = []
    cursor = raw.cursor()
    try:
        for _ in range(max(3, rounds)):
            start = time.perf_counter()
            cursor.execute(sql, params) if params is not None else cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    finally:
        cursor.close()
    return median(times)


def _count_queries(client: Any, url: str, *, uncached: bool) -> int:
    from django.core.cache import cache

    if uncached:
        cache.clear()
    response, captured = _capture(lambda: client.get(url))
    _ok(response, url)
    return len(captured)


def _ok(response: Any, url: str) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")


def time_page(page: Page, client: Any, *, rounds: int, warmup: int = 2) -> Row:
    from django.core.cache import cache

    def get() -> Any:
        if page.cache == UNCACHED:
            cache.clear()
        return client.get(page.url)

    for _ in range(warmup):
        _ok(get(), page.url)
    times = []
    for _ in range(rounds):
        if page.cache == UNCACHED:
            cache.clear()
        start = time.perf_counter()
        response = client.get(page.url)
        times.append((time.perf_counter() - start) * 1000)
        _ok(response, page.url)
    response, captured = _capture(get)
    _ok(response, page.url)
    row = Row(name=page.name, kind="page", user=page.role or "public", median_ms=median(times),
              p95_ms=percentile(times, 0.95), queries=len(captured))
    if page.alt_url:
        row.queries_alt = _count_queries(client, page.alt_url, uncached=page.cache == UNCACHED)
    if captured:
        main = max(captured, key=lambda t: t.ms)
        row.main_ms = direct_query_ms(main.sql, main.params, rounds)
        if row.main_ms > 0:
            row.ratio = row.median_ms / row.main_ms if row.median_ms is not None else None
        row.main_sql = main.sql
    judge_page(row, p95_target=DASHBOARD_P95_MS if page.dashboard else STAFF_P95_MS)
    return row


def run_pages(report: Report, *, rounds: int, only: str = "", log: Callable[[str], None] = print) -> list[Row]:
    """Time every page of `page_list`, or with `only` those whose name contains that text."""
    from django.test import Client

    subjects = choose_subjects()
    report.info["subjects"] = (
        f"office {subjects.users['office'].username}, leader {subjects.users['leader'].username}, "
        f"unit staff {subjects.users['staff'].username} of {subjects.unit.name}; plan {subjects.plan.pk}, "
        f"task {subjects.task.pk}"
    )
    clients: dict[str, Any] = {}
    rows = []
    for page in page_list(subjects):
        if only and only not in page.name:
            continue
        client = clients.get(page.role)
        if client is None:
            client = clients[page.role] = Client()
            if page.role:
                client.force_login(subjects.users[page.role])
        row = time_page(page, client, rounds=rounds)
        log(f"  {row.name}: median {row.median_ms:.1f} ms, p95 {row.p95_ms:.1f} ms, {row.queries} queries")
        rows.append(report.add(row))
    return rows
