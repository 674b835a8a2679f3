"""Bulk writing through the real models' tables: ids allocated ahead, rows buffered per table and written
with COPY on PostgreSQL (psycopg 3 `cursor.copy()`) or `executemany` on SQLite, in batches.

A row is built by `Table.row(**values)` with the model's attribute names; fields left out take the
model field's default, so that columns added to a model later still get a valid value. Values are plain
Python values (dates, aware datetimes, Decimals); JSON columns take the JSON text (`Json`).

PostgreSQL only: `relaxed(tables)` drops the secondary indexes and foreign keys of the tables being
loaded and recreates them from their saved definitions at the end of the same transaction, so a failure
rolls the drop back with the load (DDL is transactional there). Re-adding a foreign key validates every
row, so the loaded data still passes every constraint of the models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models

BATCH_ROWS = 20_000


class Json(str):
    """JSON text for a JSON column (written as it is)."""


class Table:
    """The columns of one model's table, in a fixed order, with their defaults."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.name = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.columns = [f.column for f in self.fields]
        self.index = {f.attname: i for i, f in enumerate(self.fields)}
        self.json = [isinstance(f, models.JSONField) for f in self.fields]
        self.defaults = [self._default(f) for f in self.fields]
        self.next_id = 1
        self.line_columns: tuple[str, ...] = ()  # the columns of rows written with BulkWriter.add_line
        self._sqlite: list[Any] | None = None

    def sqlite_converters(self) -> list[Any]:
        """Per column, how a value is stored on SQLite (what the field's get_db_prep_save gives there),
        or None when it is stored as it is."""
        if self._sqlite is None:
            converters: list[Any] = []
            for field, is_json in zip(self.fields, self.json, strict=True):
                if is_json:
                    converters.append(None)
                elif isinstance(field, models.DateTimeField):
                    converters.append(_sqlite_datetime)
                elif isinstance(field, models.DateField):
                    converters.append(dt.date.isoformat)
                elif isinstance(field, models.DecimalField):
                    converters.append(str)
                elif isinstance(field, models.IntegerField | models.BooleanField | models.CharField
                                | models.TextField | models.ForeignKey | models.FileField):
                    converters.append(None)
                else:
                    converters.append(lambda v, f=field: f.get_db_prep_save(v, connection))
            self._sqlite = converters
        return self._sqlite

    @staticmethod
    def _default(field: models.Field[Any, Any]) -> Any:
        if field.primary_key:
            return None
        if field.has_default():
            value = field.get_default()
            if isinstance(field, models.JSONField):
                return Json(_json(value))
            return value
        if field.null:
            return None
        if isinstance(field, models.CharField | models.TextField | models.FileField):
            return ""
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):  # type: ignore[attr-defined]
            return None  # set by the generator
        return _Missing(field.name)

    def row(self, **values: Any) -> list[Any]:
        row = list(self.defaults)
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return row

    def allocate(self, count: int = 1) -> int:
        """The first of `count` new ids."""
        first = self.next_id
        self.next_id += count
        return first


class _Missing:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<no value for {self.name}>"


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class BulkWriter:
    """Buffers rows per table and writes them in batches; `flush()` writes what is left and waits.

    On PostgreSQL a second thread runs the COPYs on the same connection (and transaction), so that the
    database takes in one batch while the generator builds the next; psycopg serialises the connection's
    use, and the generator's own queries simply wait their turn."""

    def __init__(self, *, batch_rows: int = BATCH_ROWS) -> None:
        self.batch_rows = batch_rows
        self.buffers: dict[str, tuple[Table, list[list[Any]]]] = {}
        self.lines: dict[str, tuple[Table, list[str]]] = {}
        self.counts: dict[str, int] = {}
        self.postgres = connection.vendor == "postgresql"
        self._queue: Any = None
        self._thread: Any = None
        self._failed: BaseException | None = None

    def add(self, table: Table, row: list[Any]) -> None:
        entry = self.buffers.get(table.name)
        if entry is None:
            entry = self.buffers[table.name] = (table, [])
        entry[1].append(row)
        if len(entry[1]) >= self.batch_rows:
            self._write(table, entry[1])
            self.buffers[table.name] = (table, [])

    def add_line(self, table: Table, line: str) -> None:
        """PostgreSQL only: one row already in COPY's text format (columns in `table.line_columns`,
        ending with a newline), for a table whose rows are many and whose columns are known in
        advance (the event log): no per-value formatting in the COPY thread."""
        entry = self.lines.get(table.name)
        if entry is None:
            entry = self.lines[table.name] = (table, [])
        entry[1].append(line)
        if len(entry[1]) >= self.batch_rows:
            self._write_lines(table, entry[1])
            self.lines[table.name] = (table, [])

    def flush(self) -> None:
        for name, (table, rows) in list(self.buffers.items()):
            if rows:
                self._write(table, rows)
                self.buffers[name] = (table, [])
        for name, (table, lines) in list(self.lines.items()):
            if lines:
                self._write_lines(table, lines)
                self.lines[name] = (table, [])
        if self._queue is not None:
            self._queue.join()
        self._check()

    def abort(self) -> None:
        """Drop what is queued (the stage failed; its transaction is rolled back) and wait for the thread."""
        if self._queue is not None:
            if self._failed is None:
                self._failed = RuntimeError("aborted")
            self._queue.join()
        self._failed = None
        self.buffers.clear()
        self.lines.clear()

    def close(self) -> None:
        """Stop the COPY thread (after `flush`)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = self._queue = None

    def _check(self) -> None:
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise failed

    def _copy_loop(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                if self._failed is None:
                    raw, table, rows, preformatted = item
                    if preformatted:
                        columns = ", ".join(f'"{c}"' for c in table.line_columns)
                        text = "".join(rows)
                    else:
                        columns = ", ".join(f'"{c}"' for c in table.columns)
                        text = "".join(["\t".join([_copy_text(v) for v in row]) + "\n" for row in rows])
                    with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
                        copy.write(text.encode("utf-8"))
            except BaseException as exc:  # handed to the generating thread
                self._failed = exc
            finally:
                self._queue.task_done()

    def _enqueue(self, table: Table, rows: list[Any], *, preformatted: bool) -> None:
        if self._thread is None:
            import queue
            import threading

            self._queue = queue.Queue(maxsize=3)
            self._thread = threading.Thread(target=self._copy_loop, name="dataset-copy", daemon=True)
            self._thread.start()
        connection.ensure_connection()
        self._queue.put((connection.connection, table, rows, preformatted))

    def _write_lines(self, table: Table, lines: list[str]) -> None:
        self._check()
        self.counts[table.model._meta.label] = self.counts.get(table.model._meta.label, 0) + len(lines)
        self._enqueue(table, lines, preformatted=True)

    def _write(self, table: Table, rows: list[list[Any]]) -> None:
        self._check()
        self.counts[table.model._meta.label] = self.counts.get(table.model._meta.label, 0) + len(rows)
        for value in rows[0]:
            if isinstance(value, _Missing):
                raise ValueError(f"{table.name}: {value!r}")
        if self.postgres:
            self._enqueue(table, rows, preformatted=False)
            return
        converters = table.sqlite_converters()
        prepared = [
            tuple(value if (value is None or convert is None) else convert(value)
                  for convert, value in zip(converters, row, strict=True))
            for row in rows
        ]
        columns = ", ".join(f'"{c}"' for c in table.columns)
        marks = ", ".join("?" for _c in table.columns)
        with connection.cursor() as cursor:
            cursor.executemany(f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})', prepared)  # noqa: S608


def escape(text: str) -> str:
    """A text value in COPY's text format."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\n" in text or "\t" in text or "\r" in text:
        text = text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return text


_COPY_TEXT: dict[type, Any] = {
    str: escape, Json: escape, int: str, bool: lambda v: "t" if v else "f", dt.date: dt.date.isoformat,
    dt.datetime: dt.datetime.isoformat, type(None): lambda v: "\\N", Decimal: str,
}


def _copy_text(value: Any) -> str:
    """One value in PostgreSQL's COPY text format."""
    convert = _COPY_TEXT.get(type(value))
    if convert is None:
        import enum

        if isinstance(value, enum.Enum):  # model choices
            return _copy_text(value.value)
        raise TypeError(f"cannot COPY a {type(value).__name__}")
    return convert(value)  # type: ignore[no-any-return]


def _sqlite_datetime(value: dt.datetime) -> str:
    """Django's SQLite backend stores aware datetimes as naive UTC text."""
    return str(value.astimezone(dt.UTC).replace(tzinfo=None))


def next_ids(tables: Iterable[Table]) -> None:
    """Start each table's ids after the largest id it holds."""
    with connection.cursor() as cursor:
        for table in tables:
            pk = table.model._meta.pk
            assert pk is not None
            cursor.execute(f'SELECT MAX("{pk.column}") FROM "{table.name}"')  # noqa: S608 - names from models
            table.next_id = (cursor.fetchone()[0] or 0) + 1


def reset_sequences(model_list: Iterable[type[models.Model]]) -> None:
    """After rows were written with ids given ahead, point each id sequence past the largest id."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(model_list))
    if not statements:
        return
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


# ------------------------------------------------------------------------------ PostgreSQL only


def _secondary_indexes(cursor: Any, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes that back no constraint (no primary key, unique or
    exclusion constraint): those can be dropped and created again. Partial indexes stay: they take few
    rows, and their predicate would come back from `pg_get_indexdef` in another (equivalent) spelling."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = %s AND t.relnamespace = 'public'::regnamespace
          AND NOT x.indisprimary
          AND x.indpred IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
        ORDER BY i.relname
        """,
        [table],
    )
    return list(cursor.fetchall())


def _foreign_keys(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        """
        SELECT c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
        WHERE t.relname = %s AND t.relnamespace = 'public'::regnamespace AND c.contype = 'f'
        ORDER BY c.conname
        """,
        [table],
    )
    return list(cursor.fetchall())


@contextmanager
def relaxed(tables: Iterable[Table]) -> Iterator[dict[str, float]]:
    """PostgreSQL: drop secondary indexes and foreign keys of `tables` while the block loads them, then
    create them again (validating every row). Must run inside a transaction: if anything fails, the
    rollback restores them. Yields a dict that receives the seconds spent rebuilding. A no-op elsewhere."""
    timing: dict[str, float] = {}
    if connection.vendor != "postgresql":
        yield timing
        return
    import time

    names = sorted({t.name for t in tables})
    saved: list[tuple[str, str, str, str]] = []  # (kind, table, name, definition)
    with connection.cursor() as cursor:
        # deferred checks of rows written earlier in this transaction must fire before the tables change
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # large values (the events' data) compressed with lz4 where the server has it: about a third
        # less of the server's time per event row than pglz, and the same values read back
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
        for name in names:
            saved.extend(("fk", name, con, definition) for con, definition in _foreign_keys(cursor, name))
            saved.extend(("index", name, idx, definition) for idx, definition in _secondary_indexes(cursor, name))
        for kind, table, name, _definition in saved:
            if kind == "fk":
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
    yield timing
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for kind, _table, _name, definition in saved:
            if kind == "index":
                cursor.execute(definition)
        for kind, table, name, definition in saved:
            if kind == "fk":
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    timing["rebuild"] = time.monotonic() - started


def analyze(tables: Iterable[Table]) -> None:
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return
    with connection.cursor() as cursor:
        for name in sorted({t.name for t in tables}):
            cursor.execute(f'ANALYZE "{name}"')


@lru_cache(maxsize=65_536)
def aware(day: dt.date, hour: int = 9, minute: int = 0, second: int = 0) -> dt.datetime:
    """A local (Asia/Shanghai) time on `day`, as an aware UTC datetime (what the database hands back)."""
    from django.utils import timezone

    local = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=timezone.get_default_timezone())
    return local.astimezone(dt.UTC)
