"""What the stages of the generator share: the random source, the reference date, the writers, the
tables with their next ids, and the organization tree built by the first stage."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.apps import apps
from django.db import models
from django.utils import timezone

from zhenggai.core.workdays import add_working_days, is_working_day

from .bulk import BulkWriter, Table, next_ids
from .chain import EventLog
from .scales import Scale

Actor = tuple[int, str]  # (user id, name as events store it)


@dataclass(eq=False)
class Org:
    id: int
    name: str
    short: str
    kind: str
    path: str
    region_id: int
    staff: list[Actor] = field(default_factory=list)
    heads: list[Actor] = field(default_factory=list)
    acceptors: list[Actor] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.short or self.name


@dataclass(eq=False)
class District:
    index: int
    region_id: int
    name: str
    code: str
    path: str
    gov: Org
    office: Org
    departments: dict[str, Org]  # by the demo's short form ("区生态环境局")
    townships: list[Org]
    township_regions: list[tuple[int, str]]  # (region id, name), parallel to townships
    office_users: list[Actor]
    centre: tuple[float, float]  # latitude, longitude of the district (for photo positions)
    accepting: list[Org] = field(default_factory=list)
    notice_numbers: dict[int, int] = field(default_factory=dict)  # year → last supervision number

    def unit(self, name: str, rng: random.Random) -> Org:
        """The district's unit for a name used in the demo's texts; a township for a demo township."""
        if name in self.departments:
            return self.departments[name]
        if name in ("区督察整改办", "区委办公室"):
            return self.office
        for org in self.departments.values():
            if name in (org.name, org.short):
                return org
        return rng.choice(self.townships)


class Context:
    def __init__(self, *, scale: Scale, seed: int, as_of: dt.date, files: bool) -> None:
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.files = files
        self.writer = BulkWriter()
        self.log = EventLog(self.writer)
        self.tables: dict[str, Table] = {}
        self.system: Actor = (0, "")
        self.districts: list[District] = []
        self.root_region_id = 0
        self.province_code = "QJ"
        self.groups: list[tuple[int, str, str]] = []  # (org id, name, level) of the inspection groups
        self.password = ""
        self.accounts: list[tuple[str, str, str]] = []  # sample accounts to print
        self.stats: dict[str, Any] = {}
        self.tz = timezone.get_default_timezone()

    def table(self, label: str) -> Table:
        table = self.tables.get(label)
        if table is None:
            model = apps.get_model(label)
            table = self.tables[label] = Table(model)
            next_ids([table])
        return table

    def through(self, model: type[models.Model], field_name: str) -> Table:
        through = model._meta.get_field(field_name).remote_field.through  # type: ignore[union-attr]
        return self.table(through._meta.label)

    def add(self, label: str, **values: Any) -> int:
        """Write one row of model `label`; allocates its id unless given. Returns the id."""
        table = self.table(label)
        if "id" not in values:
            values["id"] = table.allocate()
        self.writer.add(table, table.row(**values))
        return int(values["id"])

    def link(self, model: type[models.Model], field_name: str, **values: Any) -> None:
        table = self.through(model, field_name)
        values["id"] = table.allocate()
        self.writer.add(table, table.row(**values))


@lru_cache(maxsize=4096)
def working_day_on_or_after(day: dt.date) -> dt.date:
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


@lru_cache(maxsize=8192)
def plus_working_days(day: dt.date, days: int) -> dt.date:
    return add_working_days(day, days)


@lru_cache(maxsize=8192)
def yellow_from(deadline: dt.date, days: int) -> dt.date:
    """The first day on which `deadline` counts as near (deadline <= add_working_days(day, days))."""
    day = deadline
    while True:
        before = day - dt.timedelta(days=1)
        if deadline <= add_working_days(before, days):
            day = before
            continue
        return day
