"""Seeds the database of the several-servers test (run as `python -m tests.multi.seed` in the arrangement's
environment, after `zhenggai migrate`): a small district built through the real services, one published plan
with a task, users with a password, and schedules due now that record each run. Prints the ids as JSON."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

import django

PASSWORD = "multi-server-pw-2025"
DUE_SCHEDULES = 4


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.config.settings")
    django.setup()
    from django.utils import timezone
    from django_q.models import Schedule

    from zhenggai.accounts.models import Organization, Region, Role
    from zhenggai.inspections.models import Plan

    from .. import factories as f

    city = f.region("重庆市", level=Region.Level.CITY)
    district = f.region("梁平区", parent=city)
    gov = f.org("梁平区人民政府", region=district, kind=Organization.Kind.GOVERNMENT)
    office_org = f.org("区督察整改办", region=district, kind=Organization.Kind.OFFICE, parent=gov)
    dept = f.org("区住房城乡建委", region=district, parent=gov, short_name="区住建委")
    office = f.user("office", organization=office_org, roles=[Role.OFFICE], password=PASSWORD)
    staff = f.user("staff", organization=dept, roles=[Role.UNIT_STAFF], password=PASSWORD)
    f.user("admin", organization=office_org, roles=[Role.ADMIN], password=PASSWORD)
    inspection = f.inspection(target_region=district, title="重庆市第八生态环境保护督察组督察梁平区")
    plan = f.plan(inspection=inspection, title="梁平区整改方案")
    Plan.objects.filter(pk=plan.pk).update(published_date=dt.date(2025, 4, 1))
    task = f.task(actor=office, plan=plan, number=1, units=[dept], title="城区污水管网雨污混流")
    due = timezone.now() - dt.timedelta(minutes=1)
    for n in range(1, DUE_SCHEDULES + 1):
        Schedule.objects.create(name=f"multi-test-{n}", func="tests.multi.jobs.record_run", args=repr(f"job-{n}"),
                                schedule_type=Schedule.DAILY, repeats=-1, next_run=due)
    sys.stdout.write(json.dumps({"task": task.pk, "plan": plan.pk, "office_org": office_org.pk, "staff": staff.pk}) + "\n")


if __name__ == "__main__":
    main()
