"""Page timings on the demo data: median and p95 server time and SQL query count per page.

    .venv/bin/python bench/pages.py [--rounds 30]

Runs against a fresh SQLite database in a temporary folder (or DATABASE_URL when set, which must be
an empty database), loads the demo, then requests each page through Django's test client.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

COLD = "#uncached"  # a fragment never reaches the server; it marks pages timed with an empty cache
SLOW = ".pdf"  # PDFs take a second or more: fewer rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="zhenggai-bench-")
    os.environ.setdefault("ZHENGGAI_DATA_DIR", tmp)
    os.environ.setdefault("ZHENGGAI_DEMO", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from zhenggai.accounts.models import User
    from zhenggai.inspections.models import Plan
    from zhenggai.rectification.models import DispatchRound, PublicNotice, Task

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    started = time.perf_counter()
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    load_seconds = time.perf_counter() - started
    plan = Plan.objects.order_by("id").first()
    task = Task.objects.filter(plan=plan).order_by("number").first()
    pages = [
        ("office", "workbench", reverse("workbench")),
        ("head", "workbench", reverse("workbench")),
        ("office", "task list", reverse("task_list")),
        ("office", "task list, search 污水", reverse("task_list") + "?q=污水"),
        ("head", "task list by status", reverse("task_list") + "?status=in_progress"),
        ("office", "task detail", reverse("task_detail", args=[task.pk])),
        ("office", "plan page", reverse("plan_detail", args=[plan.pk])),
        ("office", "inspection list", reverse("inspection_list")),
        ("office", "organization list", reverse("organization_list")),
        ("office", "round list", reverse("round_list")),
        ("office", "round board", reverse("round_detail", args=[DispatchRound.objects.order_by("-id").first().pk])),
        ("head", "round list (unit)", reverse("round_list")),
        ("office", "warning board", reverse("warning_board")),
        ("office", "acceptance and closure", reverse("acceptance_list")),
        ("office", "inbox", reverse("inbox")),
        ("office", "complaint list", reverse("complaint_list")),
        ("staff2", "complaint list (township)", reverse("complaint_list")),
        ("office", "complaint statistics", reverse("complaint_statistics")),
        ("office", "complaint export (xlsx)", reverse("complaint_list_export")),
        ("office", "task list export (xlsx)", reverse("task_list_export")),
        ("office", "ledger export (xlsx)", reverse("ledger_export", args=[plan.pk])),
    ]
    notice = PublicNotice.objects.filter(status="open").first()
    from zhenggai.complaints.models import HandoverBatch

    batch = HandoverBatch.objects.filter(published_at__isnull=False).first()
    pages += [
        ("", "portal notice page", reverse("portal:notice_detail", args=[notice.pk])),
        ("", "portal complaints", reverse("portal_complaints")),
        ("", "portal batch table", reverse("portal_batch", args=[batch.pk])),
        ("", "portal batch PDF", reverse("portal_batch_pdf", args=[batch.pk])),
        ("", "portal home", reverse("portal:home")),
        ("", "portal plan page", reverse("portal:plan_detail", args=[plan.pk])),
        ("", "portal plan page, uncached", reverse("portal:plan_detail", args=[plan.pk]) + COLD),
        ("", "portal task page, uncached", reverse("portal:task_detail", args=[task.pk]) + COLD),
        ("", "portal results list, uncached", reverse("portal:results") + COLD),
        ("", "portal QR code (PNG)", reverse("portal:plan_qr_png", args=[plan.pk])),
        ("", "portal plan tasks (CSV)", reverse("portal:plan_tasks", kwargs={"pk": plan.pk, "fmt": "csv"})),
        ("", "portal Atom feed, uncached", reverse("portal:feed") + COLD),
    ]
    from zhenggai.assessment.models import Assessment

    assessment = Assessment.objects.filter(period_kind="year").order_by("-start").first()
    pages += [
        ("office", "dashboard (office)", reverse("dashboard_office")),
        ("leader", "dashboard (leader)", reverse("dashboard_leader")),
        ("discipline", "dashboard (discipline)", reverse("dashboard_discipline")),
        ("head", "dashboard (unit)", reverse("dashboard")),
        ("office", "assessment ranking", reverse("assessment_detail", args=[assessment.pk])),
        ("head", "assessment ranking (unit)", reverse("assessment_detail", args=[assessment.pk])),
        ("office", "assessment scores (xlsx)", reverse("assessment_scores_xlsx", args=[assessment.pk])),
        ("discipline", "accountability list", reverse("accountability_list")),
        ("office", "filtered ledger (xlsx)", reverse("task_ledger_export") + "?status=open"),
        ("office", "task dossier (PDF)", reverse("task_dossier_pdf", args=[task.pk])),
        ("office", "closure notice table (PDF)", reverse("closure_notice_table_pdf", args=[plan.pk])),
    ]
    from django.core.cache import cache

    clients: dict[str, Client] = {}
    print(f"demo loaded in {load_seconds:.2f} s on {connection.vendor}; {args.rounds} rounds per page")
    print(f"{'page':34} {'user':8} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for username, label, url in pages:
        client = clients.setdefault(username, Client())
        if username:
            client.force_login(User.objects.get(username=username))
        client.get(url)  # warm up
        times = []
        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        for _ in range(args.rounds if not url.endswith(SLOW) else max(3, args.rounds // 6)):
            if url.endswith(COLD):
                cache.clear()  # the portal's page cache: time the rendering, not the cached copy
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"{label:34} {username:8} {statistics.median(times):10.1f} {p95:8.1f} {len(queries):8d}")
    from zhenggai.reports.bulletin import bulletin_context, bulletin_pdf_bytes
    from zhenggai.reports.bulletin_docx import bulletin_docx_bytes

    region = plan.inspection.target_region
    t0 = time.perf_counter()
    data = bulletin_context(region=region, month=timezone.localdate().replace(day=1))
    t1 = time.perf_counter()
    pdf = bulletin_pdf_bytes(data)
    t2 = time.perf_counter()
    docx = bulletin_docx_bytes(data)
    t3 = time.perf_counter()
    print(f"monthly bulletin: figures {1000 * (t1 - t0):.0f} ms, PDF {1000 * (t2 - t1):.0f} ms ({len(pdf) // 1024} KB), "
          f"DOCX {1000 * (t3 - t2):.0f} ms ({len(docx) // 1024} KB)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
