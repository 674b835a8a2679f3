"""Backup and restore (`zhenggai backup DIR`, `zhenggai restore DIR`).

A backup is a directory:

- `manifest.json`: format version, app version, creation time, database vendor, the applied migrations per
  app, and per table its model, columns, row count and the SHA-256 of its data file; for every stored file its
  storage name, size and SHA-256. The manifest is written last: a directory without one is not a backup.
- `data/<app>.<model>.jsonl`: one JSON array per row (values in the manifest's column order), primary keys
  included. Values are written vendor-neutrally (ISO dates with microseconds, decimals as strings), so a SQLite
  backup restores into PostgreSQL and the other way round.
- `files/<storage name>`: a copy of every file of the default storage (evidence, thumbnails, bulletins, imports).
  With S3-compatible storage (ZHENGGAI_S3_BUCKET) the objects are downloaded through the same storage API, so
  the backup holds them too; for a large bucket, the object store's own versioning or replication should
  protect the bucket besides (docs/operator-guide.md), and `storage_description` lets the command say which.

Consistency while the application is in use: every table is read inside ONE read-only transaction over a
consistent snapshot (PostgreSQL: REPEATABLE READ; SQLite: one deferred read transaction, which WAL mode lets
writers work beside). The files named by the snapshot's rows are then copied: stored files never change. Files
in storage that no row names (e.g. pending imports) are copied too, marked as orphans.

Not backed up: django-q2's queue, results and schedules (the worker registers its schedules again when it
starts), sessions (everyone signs in again) and django-axes' login-attempt logs.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from django.utils.duration import duration_string
from django.utils.translation import gettext as _

FORMAT = "zhenggai-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_DIR = "data"
FILES_DIR = "files"
CHUNK = 1024 * 1024
# Operational state that a restore does not carry over (see the module docstring).
SKIPPED_APPS = frozenset({"django_q", "sessions", "axes"})
# Tables that `migrate` fills by itself: rows in them do not make a database "in use".
SEEDED_MODELS = frozenset({"contenttypes.contenttype", "auth.permission", "core.workcalendar"})


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, in words for the operator."""


class Progress(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class _NoProgress:
    def update(self, n: int = 1) -> object:
        return None

    def close(self) -> None:
        return None


# (description, total, unit) -> a progress bar; the commands pass tqdm.
ProgressFactory = Callable[[str, int, str], Progress]


def no_progress(desc: str, total: int, unit: str) -> Progress:
    return _NoProgress()


@dataclass
class BackupResult:
    directory: Path
    tables: dict[str, int]
    files: int
    bytes: int
    missing_files: list[str] = field(default_factory=list)


def app_version() -> str:
    try:
        return version("zhenggai")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def backup_models() -> list[type[models.Model]]:
    """Every table that a backup holds, in dependency order (referenced tables first), including the
    automatic many-to-many tables."""
    chosen = [
        m for m in apps.get_models(include_auto_created=True)
        if m._meta.app_label not in SKIPPED_APPS and m._meta.managed and not m._meta.proxy
    ]
    order: list[type[models.Model]] = []
    seen: set[type[models.Model]] = set()

    def visit(model: type[models.Model], path: frozenset[type[models.Model]]) -> None:
        if model in seen or model in path:  # cycles: foreign keys are checked at commit anyway
            return
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if isinstance(target, type) and target is not model and target in chosen:
                visit(target, path | {model})
        seen.add(model)
        order.append(model)

    for model in sorted(chosen, key=lambda m: m._meta.label_lower):
        visit(model, frozenset())
    return order


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def _file_fields(model: type[models.Model]) -> list[int]:
    return [i for i, f in enumerate(_columns(model)) if isinstance(f, models.FileField)]


def _encode(value: Any) -> Any:
    """A database value as JSON, losslessly (microseconds kept: the event hashes cover them)."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _decode(field_: models.Field[Any, Any], value: Any) -> Any:
    if value is None or isinstance(field_, models.JSONField):
        return value
    return field_.to_python(value)


def _sha256_file(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _copy(source: Any, target: BinaryIO) -> tuple[int, str]:
    """Copy a stream, returning its size and SHA-256."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def safe_relative(name: str) -> PurePosixPath:
    """A storage name as a relative path that cannot leave the backup directory."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BackupError(f"不安全的文件名：{name!r}")
    return path


@contextmanager
def read_snapshot(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """Hold one consistent, read-only view of the whole database for the duration of the block.

    Inside an already open transaction (e.g. a test case) that transaction's view is used as it is."""
    if connection.in_atomic_block:
        yield
        return
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        connection.set_autocommit(False)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        finally:
            connection.rollback()
            connection.set_autocommit(True)
    elif connection.vendor == "sqlite":
        # Not `atomic()`: the connection is configured for BEGIN IMMEDIATE, which would block writers.
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        raise BackupError(f"不支持的数据库：{connection.vendor}")


def applied_migrations(connection: BaseDatabaseWrapper) -> dict[str, list[str]]:
    recorder = MigrationRecorder(connection)
    result: dict[str, list[str]] = {}
    for app_label, name in sorted(recorder.applied_migrations()):
        result.setdefault(app_label, []).append(name)
    return result


def _list_storage(storage: Storage, directory: str = "") -> Iterator[str]:
    try:
        dirs, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{directory}/{name}" if directory else name
    for sub in sorted(dirs):
        yield from _list_storage(storage, f"{directory}/{sub}" if directory else sub)


def storage_description(storage: Storage) -> str:
    """Where the stored files live, in words for the operator."""
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        prefix = getattr(storage, "location", "")
        where = f"{bucket}/{prefix}" if prefix else str(bucket)
        endpoint = getattr(storage, "endpoint_url", None) or "AWS"
        return _("S3 存储桶 %(bucket)s（%(endpoint)s）") % {"bucket": where, "endpoint": endpoint}
    location = getattr(storage, "location", None)
    if location:
        return _("本地文件夹 %(path)s") % {"path": location}
    return storage.__class__.__name__


def backup_create(
    directory: Path, *, using: str = DEFAULT_DB_ALIAS, storage: Storage | None = None,
    progress: ProgressFactory = no_progress,
) -> BackupResult:
    """Write a backup of the database `using` and of `storage` (default: the default storage) into
    `directory`, which must not exist or be empty. Safe while the application is in use."""
    storage = storage or default_storage
    directory = Path(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"备份目录 {directory} 已存在且不为空：请指定一个新的目录。")
    (directory / DATA_DIR).mkdir(parents=True, exist_ok=True)
    connection = connections[using]
    manifest: dict[str, Any] = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "app_version": app_version(),
        "created_at": timezone.now().isoformat(), "database_vendor": connection.vendor,
    }
    tables: dict[str, dict[str, Any]] = {}
    referenced: set[str] = set()
    _check_migrated(connection)
    with read_snapshot(connection):
        manifest["migrations"] = applied_migrations(connection)
        chosen = backup_models()
        counts = {m: m._base_manager.using(using).count() for m in chosen}
        bar = progress("导出数据", sum(counts.values()), "行")
        for model in chosen:
            tables[model._meta.db_table] = _dump_table(model, directory, using, referenced, bar)
            if tables[model._meta.db_table]["rows"] != counts[model]:
                raise BackupError(f"{model._meta.db_table} 在导出过程中发生变化：数据库不支持一致性快照？")
        bar.close()
    manifest["tables"] = tables
    files, missing = _copy_files(storage, directory, referenced, progress)
    manifest["files"] = files
    manifest["missing_files"] = missing
    with (directory / f"{MANIFEST}.partial").open("w", encoding="utf-8") as fh:
        json.dump(manifest, fh, ensure_ascii=False, indent=1)
    (directory / f"{MANIFEST}.partial").rename(directory / MANIFEST)
    return BackupResult(
        directory=directory, tables={t: v["rows"] for t, v in tables.items()}, files=len(files),
        bytes=sum(f["size"] for f in files), missing_files=missing,
    )


def _check_migrated(connection: BaseDatabaseWrapper) -> None:
    """The tables must match this program's models, or rows cannot be read (nor restored) faithfully."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        raise BackupError("数据库还没有迁移到本程序的版本：请先运行 zhenggai migrate，再备份。")


def _dump_table(
    model: type[models.Model], directory: Path, using: str, referenced: set[str], bar: Progress
) -> dict[str, Any]:
    columns = _columns(model)
    file_columns = _file_fields(model)
    relative = f"{DATA_DIR}/{model._meta.label_lower}.jsonl"
    rows = (
        model._base_manager.using(using).order_by(model._meta.pk.attname)
        .values_list(*[c.attname for c in columns]).iterator(chunk_size=2000)
    )
    digest = hashlib.sha256()
    count = 0
    with (directory / relative).open("wb") as fh:
        for row in rows:
            line = (json.dumps([_encode(v) for v in row], ensure_ascii=False, separators=(",", ":")) + "\n")
            data = line.encode("utf-8")
            digest.update(data)
            fh.write(data)
            count += 1
            for index in file_columns:
                if row[index]:
                    referenced.add(row[index])
            if count % 1000 == 0:
                bar.update(1000)
    bar.update(count % 1000)
    return {
        "model": model._meta.label_lower, "columns": [c.attname for c in columns], "rows": count,
        "file": relative, "sha256": digest.hexdigest(),
    }


def _copy_files(
    storage: Storage, directory: Path, referenced: set[str], progress: ProgressFactory
) -> tuple[list[dict[str, Any]], list[str]]:
    """Copy the files the snapshot names, then the orphans found in storage. A named file that storage
    lacks is reported, not fatal: the backup still holds everything that exists."""
    orphans = [name for name in _list_storage(storage) if name not in referenced]
    entries: list[dict[str, Any]] = []
    missing: list[str] = []
    bar = progress("复制文件", len(referenced) + len(orphans), "个")
    for name, orphan in [(n, False) for n in sorted(referenced)] + [(n, True) for n in orphans]:
        relative = safe_relative(name)
        target = directory / FILES_DIR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            source = storage.open(name, "rb")
        except FileNotFoundError:
            missing.append(name)
            bar.update()
            continue
        with source, target.open("wb") as out:
            size, sha = _copy(source, out)
        entries.append({"name": name, "size": size, "sha256": sha, "orphan": orphan})
        bar.update()
    bar.close()
    return entries, missing


def manifest_read(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} 不是一份完整的备份：缺少 {MANIFEST}。")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise BackupError(f"{path} 无法读取：{error}") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path} 不是整改系统的备份。")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"备份格式版本 {manifest.get('format_version')} 不受支持（本程序支持版本 {FORMAT_VERSION}）。"
        )
    return manifest


def backup_check(directory: Path, manifest: dict[str, Any], progress: ProgressFactory = no_progress) -> None:
    """Check every data file and every stored file of the backup against the manifest's SHA-256.

    Raises BackupError naming each damaged or missing file."""
    directory = Path(directory)
    problems: list[str] = []
    items = [(str(safe_relative(t["file"])), None, t["sha256"]) for t in manifest["tables"].values()]
    items += [(f"{FILES_DIR}/{safe_relative(f['name'])}", f["size"], f["sha256"]) for f in manifest["files"]]
    bar = progress("校验备份", len(items), "个")
    for relative, size, sha in items:
        path = directory / relative
        if not path.is_file():
            problems.append(f"{relative}：缺失")
        else:
            actual_size, actual_sha = _sha256_file(path)
            if (size is not None and actual_size != size) or actual_sha != sha:
                problems.append(f"{relative}：内容与清单不符（SHA-256 应为 {sha}，实为 {actual_sha}）")
        bar.update()
    bar.close()
    if problems:
        raise BackupError("备份已损坏，未做任何恢复：\n" + "\n".join(problems))


def rows_read(directory: Path, table: dict[str, Any]) -> Iterator[list[Any]]:
    with (Path(directory) / table["file"]).open("r", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)

