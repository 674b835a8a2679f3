"""How `generate-dataset` loads its rows: one transaction for every stage (a failure leaves the database
as it was), the secondary indexes and foreign keys restored exactly (PostgreSQL drops them during the
load), and event rows handed to COPY as preformatted lines that read back as the values hashed."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.db import connection, transaction

from zhenggai.core.events import audit_verify, event_hash
from zhenggai.core.models import Event, EventChain
from zhenggai.demo.dataset import SCALES, generate
from zhenggai.demo.dataset.bulk import BulkWriter, Table, escape
from zhenggai.demo.dataset.chain import EventLog
from zhenggai.rectification.models import Task

TINY = SCALES["tiny"]
generate_module = importlib.import_module("zhenggai.demo.dataset.generate")
postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'")


def schema() -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    """(indexes, constraints) of the public schema, by definition."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'")
        indexes = {tuple(r) for r in cursor.fetchall()}
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated::text, "
            "condeferrable::text, condeferred::text FROM pg_constraint WHERE connamespace = 'public'::regnamespace")
        constraints = {tuple(r) for r in cursor.fetchall()}
    return indexes, constraints


@postgres_only
def test_indexes_and_foreign_keys_are_restored_after_the_load(db):
    before = schema()
    summary = generate(scale=TINY, seed=3)
    after = schema()
    assert (before[0] - after[0], after[0] - before[0]) == (set(), set())
    assert (before[1] - after[1], after[1] - before[1]) == (set(), set())
    assert Task.objects.count() == TINY.tasks
    assert [name for name, _s, _r in summary.stages].count("重建索引和外键") == 1  # once, for every stage


def test_a_failing_stage_leaves_the_database_as_it_was(db, monkeypatch):
    before = schema() if connection.vendor == "postgresql" else None

    def fail(_ctx, _plan):
        raise RuntimeError("stage failed")

    monkeypatch.setattr(generate_module, "build_complaints", fail)
    with pytest.raises(RuntimeError, match="stage failed"):
        generate(scale=TINY, seed=3)
    # the stages before the failing one are rolled back with it
    assert not Task.objects.exists()
    assert not Event.objects.exists()
    if before is not None:
        assert schema() == before


@postgres_only
def test_event_lines_read_back_as_the_values_hashed(db):
    """Texts with COPY's special characters (tab, newline, backslash) and JSON escapes survive the
    preformatted lines; each stored event hashes to its stored hash and the chain verifies."""
    from zhenggai.accounts.models import User

    user = User.objects.create(username="copy-check", first_name="名\t字\\")
    writer = BulkWriter()
    log = EventLog(writer)
    assert log.lines
    for table in (log.events, log.chain_table):
        table.next_id = (table.model.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    at = dt.datetime(2026, 3, 1, 1, 2, 3, tzinfo=dt.UTC)
    awkward = "a\tb\nc\\d\"e\re 公示 \u2028"
    with transaction.atomic():
        first = log.record(key="task:999", at=at, actor=(user.pk, user.first_name), verb="task.updated",
                           object_type="task", object_id=999, object_repr=awkward,
                           data={"text": awkward, "n": 1, "nested": {"list": [awkward, None, True]}})
        second = log.record(key="task:999", at=at + dt.timedelta(hours=8), actor=(user.pk, user.first_name),
                            verb="task.updated", object_type="task", object_id=999, object_repr="第二",
                            data={"when": at})
        log.close_chains()
        writer.flush()
    writer.close()
    events = list(Event.objects.filter(id__in=[first, second]).order_by("seq"))
    assert [e.seq for e in events] == [1, 2]
    assert events[0].object_repr == awkward
    assert events[0].actor_name == "名\t字\\"
    assert events[0].data == {"text": awkward, "n": 1, "nested": {"list": [awkward, None, True]}}
    assert events[0].created_at == at
    assert events[1].prev_hash == events[0].hash
    for event in events:
        assert event_hash(event) == event.hash
    chain = EventChain.objects.get(key="task:999")
    assert (chain.length, chain.head_hash) == (2, events[1].hash)
    assert list(audit_verify()) == []


def test_escape_is_copy_text_format():
    assert escape("plain 文本") == "plain 文本"
    assert escape("a\\b\tc\nd\re") == "a\\\\b\\tc\\nd\\re"


@postgres_only
def test_event_lines_cover_every_column_of_the_event_table():
    table = Table(Event)
    log = EventLog(BulkWriter())
    assert set(log.events.line_columns) == set(table.columns)
