"""Steps of the benchmark that run in a child process against the database in DATABASE_URL (the
scratch copy): `python -m bench.suite.worker STEP [options]`. Each prints one JSON object on its
last line of output.

    import-plan            an empty plan to import into, and the names of units the file may use
    ledger-plan --rows N   a plan with at least N ledger rows (one per measure), built in bulk if none has
    warnings               the daily warning and escalation job over all tasks
    bulletin               the monthly bulletin job (PDF and DOCX) of the widest region with an office
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from typing import Any

MEASURES_PER_TASK = 4
BENCH_TITLE = "性能测试"  # marks the plans the benchmark adds to its scratch copy


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.config.settings")
    import django

    django.setup()


def _biggest_plan() -> Any:
    from django.db.models import Count

    from zhenggai.inspections.models import Plan

    return Plan.objects.exclude(title__startswith=BENCH_TITLE).annotate(n=Count("tasks")).order_by("-n", "id").first()


def _units(plan: Any, limit: int = 40) -> list[Any]:
    from zhenggai.accounts.models import Organization

    region = plan.inspection.target_region
    return list(Organization.objects.filter(region__path__startswith=region.path, is_active=True,
                                            kind__in=[Organization.Kind.DEPARTMENT, Organization.Kind.TOWNSHIP])
                .order_by("id")[:limit])


def _new_plan(source: Any, title: str) -> Any:
    from zhenggai.inspections.models import Plan

    return Plan.objects.create(inspection=source.inspection, title=title, published_date=None)


def import_plan() -> dict[str, Any]:
    source = _biggest_plan()
    plan = _new_plan(source, f"{BENCH_TITLE}：导入")
    return {"plan": plan.pk, "units": [u.name for u in _units(source)]}


def ledger_rows(plan: Any) -> int:
    """Rows of the plan's ledger: one per measure, one for a task without measures."""
    from django.db.models import Count

    counts = plan.tasks.annotate(m=Count("measures")).values_list("m", flat=True)
    return sum(max(1, m) for m in counts)


def ledger_plan(rows: int) -> dict[str, Any]:
    """The plan with the most ledger rows when it has `rows`, else one built in bulk: tasks of four
    measures each, their units set, as an import would leave them."""
    from django.db import transaction

    from zhenggai.inspections.models import Plan
    from zhenggai.rectification.models import Measure, Task

    existing = Plan.objects.filter(title=f"{BENCH_TITLE}：台账 {rows}").first()
    if existing is not None:
        return {"plan": existing.pk, "rows": ledger_rows(existing), "built": False}
    source = _biggest_plan()
    if source is not None and ledger_rows(source) >= rows:
        return {"plan": source.pk, "rows": ledger_rows(source), "built": False}
    units = _units(source)
    region = source.inspection.target_region
    started = time.perf_counter()
    with transaction.atomic():
        plan = _new_plan(source, f"{BENCH_TITLE}：台账 {rows}")
        n_tasks = -(-rows // MEASURES_PER_TASK)
        deadline = dt.date(2026, 12, 31)
        tasks = Task.objects.bulk_create([
            Task(plan=plan, number=i + 1, title=f"第{i + 1}项问题：城镇污水管网雨污混流，汛期溢流", goal="消除雨污混流",
                 lead_unit=units[i % len(units)], acceptance_unit=units[(i + 1) % len(units)], deadline=deadline,
                 deadline_text="2026年12月底", deadline_kind="by_date", due_year=2026, category="water",
                 region=region, responsible_leader="张三")
            for i in range(n_tasks)
        ], batch_size=2000)
        through = Task.implementing_units.through
        through.objects.bulk_create([through(task_id=t.pk, organization_id=units[i % len(units)].pk)
                                     for i, t in enumerate(tasks)], batch_size=5000)
        measures = Measure.objects.bulk_create([
            Measure(task=t, number=m + 1, text=f"措施{m + 1}：排查并改造雨污混接点，建立台账逐一销号", deadline=deadline,
                    deadline_text="2026年12月底", deadline_kind="by_date")
            for t in tasks for m in range(MEASURES_PER_TASK)
        ], batch_size=5000)
        mthrough = Measure.units.through
        mthrough.objects.bulk_create([mthrough(measure_id=m.pk, organization_id=units[i % len(units)].pk)
                                      for i, m in enumerate(measures)], batch_size=5000)
    return {"plan": plan.pk, "rows": ledger_rows(plan), "built": True,
            "build_seconds": round(time.perf_counter() - started, 1)}


def warnings() -> dict[str, Any]:
    from zhenggai.rectification.models import Task
    from zhenggai.rectification.supervision_jobs import daily_warnings_and_escalation

    started = time.perf_counter()
    result = daily_warnings_and_escalation()
    return {"seconds": time.perf_counter() - started, "tasks": Task.objects.count(), "result": result}


def bulletin() -> dict[str, Any]:
    from django.db.models.functions import Length

    from zhenggai.accounts.models import Organization, Region
    from zhenggai.core.actors import system_actor
    from zhenggai.rectification.models import Task
    from zhenggai.rectification.warnings import today
    from zhenggai.reports.tasks import bulletin_generate, bulletin_request, previous_month

    offices = Organization.objects.filter(kind=Organization.Kind.OFFICE, is_active=True).values("region_id")
    region = Region.objects.filter(pk__in=offices).order_by(Length("path"), "path").first()
    if region is None:
        raise SystemExit("no region with an office")
    month = previous_month(today())
    bulletin = bulletin_request(actor=system_actor(), region=region, month=month)
    started = time.perf_counter()
    status = bulletin_generate(bulletin.pk)
    seconds = time.perf_counter() - started
    bulletin.refresh_from_db()
    size = bulletin.pdf.size if bulletin.pdf else 0
    return {"seconds": seconds, "status": str(status), "region": region.name, "pdf_bytes": size,
            "pdf_head": bulletin.pdf.open("rb").read(5).decode("latin-1") if size else "",
            "tasks": Task.objects.filter(region__path__startswith=region.path).count()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("step", choices=["import-plan", "ledger-plan", "warnings", "bulletin"])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    _setup()
    steps = {"import-plan": import_plan, "ledger-plan": lambda: ledger_plan(args.rows), "warnings": warnings,
             "bulletin": bulletin}
    result = steps[args.step]()
    sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False, default=str) + "\n")


if __name__ == "__main__":
    main()
