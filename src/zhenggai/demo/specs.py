"""Plain-data shapes of the demo's tasks (no Django), turned into `TaskData` by the loader."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class M:
    """One measure: its text, its responsible units (names) and its deadline as written in plans."""

    text: str
    units: tuple[str, ...]
    deadline: str


@dataclass(frozen=True)
class T:
    """One task. Units are organization names (or short names); `deadline` is the text as published
    ("2025年12月底", "立行立改、长期坚持", "长期坚持"). `due_date` (ISO) gives a date to kinds whose text
    has none; `due_year` is required when there is no date at all."""

    number: int
    area: int
    category: str
    title: str
    goal: str
    units: tuple[str, ...]
    lead: str
    acceptance: str
    leader: str
    deadline: str
    measures: tuple[M, ...]
    cooperating: tuple[str, ...] = ()
    due_date: str | None = None
    due_year: int | None = None
    milestones: tuple[tuple[str, str, int], ...] = ()
    status: str = "not_started"
    finding: int | None = None
    rebound_of: int | None = None  # number of a task in the followed inspection's plan
