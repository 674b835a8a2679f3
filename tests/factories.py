"""Test data built through the real models and services (events included)."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.db import transaction
from django.test import override_settings

from zhenggai.accounts.models import Organization, Region, User, UserRole
from zhenggai.inspections.models import Inspection, MeasureArea, Plan
from zhenggai.rectification.models import Task
from zhenggai.rectification.services import MeasureData, TaskData, task_create

_counter = itertools.count(1)


def region(name: str = "梁平区", *, code: str | None = None, parent: Region | None = None,
           level: str = Region.Level.DISTRICT) -> Region:
    return Region.objects.create(code=code or f"R{next(_counter):06d}", name=name, level=level, parent=parent)


def org(name: str | None = None, *, region: Region, kind: str = Organization.Kind.DEPARTMENT,
        parent: Organization | None = None, short_name: str = "") -> Organization:
    return Organization.objects.create(
        name=name or f"单位{next(_counter)}", region=region, kind=kind, parent=parent, short_name=short_name
    )


def user(username: str | None = None, *, organization: Organization | None, roles: Iterable[str] = (),
         password: str = "pw-for-tests-123", superuser: bool = False) -> User:
    u = User(username=username or f"user{next(_counter)}", organization=organization, is_superuser=superuser,
             is_staff=superuser)
    u.set_password(password)
    u.save()
    UserRole.objects.bulk_create([UserRole(user=u, role=r) for r in roles])
    return u


def inspection(*, target_region: Region, title: str = "测试督察", **extra: Any) -> Inspection:
    values: dict[str, Any] = {
        "level": Inspection.Level.MUNICIPAL, "kind": Inspection.Kind.ROUTINE,
        "start_date": dt.date(2024, 11, 18), "end_date": dt.date(2024, 12, 2), "feedback_date": dt.date(2025, 3, 3),
    }
    values.update(extra)
    return Inspection.objects.create(title=title, target_region=target_region, **values)


def plan(*, inspection: Inspection, title: str = "测试整改方案", areas: Sequence[str] = ("坚决打好污染防治攻坚战",)) -> Plan:
    p = Plan.objects.create(inspection=inspection, title=title, goals=[{"title": "目标一", "text": "按期完成"}])
    for number, area in enumerate(areas, start=1):
        MeasureArea.objects.create(plan=p, number=number, title=area)
    return p


def task(*, actor: User, plan: Plan, number: int | None = None, units: Sequence[Organization],
         acceptance_unit: Organization | None = None, lead_unit: Organization | None = None,
         cooperating: Sequence[Organization] = (), deadline: dt.date | None = dt.date(2025, 12, 31),
         title: str = "城区污水管网雨污混流", measures: Sequence[MeasureData] | None = None, **extra: Any) -> Task:
    number = number or (plan.tasks.count() + 1)
    data = TaskData(
        number=number, title=title, implementing_units=list(units), acceptance_unit=acceptance_unit,
        lead_unit=lead_unit or units[0], cooperating_units=list(cooperating), deadline=deadline,
        deadline_text=f"{deadline:%Y年%-m月%-d日}" if deadline else "长期坚持",
        measures=measures if measures is not None else [MeasureData(number=1, text="排查管网", units=list(units))],
        **extra,
    )
    return task_create(actor=actor, plan=plan, data=data)


@contextlib.contextmanager
def rolled_back(django_db_blocker: Any, *, media_root: Path | str | None = None) -> Iterator[None]:
    """Data made in the body lives until the block ends, then is rolled back — for data loaded once per
    module or class (as Django's setUpTestData does); each test then runs in its own savepoint.
    `media_root` keeps the files the body stores out of the other tests' way."""
    media = override_settings(MEDIA_ROOT=media_root) if media_root is not None else contextlib.nullcontext()
    with django_db_blocker.unblock(), media:
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
