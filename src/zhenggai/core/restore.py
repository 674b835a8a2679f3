"""Restore a backup written by `zhenggai.core.backup.backup_create` (`zhenggai restore DIR`).

Order of work, so that a bad backup or a wrong target changes nothing:
1. check every data file and stored file of the backup against the manifest's SHA-256;
2. refuse a database that is in use (any row outside the tables `migrate` fills by itself) or a storage
   holding different files under the same names, unless `force`;
3. migrate the database to the backup's migration state (never backwards);
4. copy the files into the storage;
5. in one transaction: empty every table, insert every row with its original primary key (plain INSERTs:
   the append-only Event model refuses `save()`), reset the PostgreSQL sequences;
6. count the rows of every table and hash every stored file again, and fail naming each difference.

The content types and permissions of the backup replace those `migrate` created, with their original keys,
so that everything pointing at them (admin log, group and user permissions) stays valid. Afterwards
`zhenggai verify-audit` passes: the event hash chains are restored byte for byte.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor

from zhenggai.core.backup import (
    CHUNK,
    FILES_DIR,
    SEEDED_MODELS,
    BackupError,
    ProgressFactory,
    _decode,
    backup_check,
    backup_models,
    manifest_read,
    no_progress,
    rows_read,
    safe_relative,
)

BATCH = 500


@dataclass
class RestoreResult:
    tables: dict[str, int]
    files: int
    manifest: dict[str, Any]


def restore_run(
    directory: Path, *, using: str = DEFAULT_DB_ALIAS, storage: Storage | None = None, force: bool = False,
    progress: ProgressFactory = no_progress,
) -> RestoreResult:
    """Restore the backup in `directory` into the database `using` and `storage` (default storage).

    Refuses (BackupError) a damaged backup, a backup from a newer version, a database in use or a storage
    with different files under the backup's names — the last two unless `force`, which replaces everything:
    all tables are emptied (sessions, queued jobs and login logs too) and clashing files overwritten."""
    storage = storage or default_storage
    directory = Path(directory)
    manifest = manifest_read(directory)
    backup_check(directory, manifest, progress)
    connection = connections[using]
    executor = MigrationExecutor(connection)
    targets = _migration_targets(executor, manifest["migrations"])
    if not force:
        table = database_in_use(connection)
        if table:
            raise BackupError(
                f"目标数据库不是空的（表 {table} 中已有数据），未做任何恢复。恢复会删除并替换其中的全部数据："
                "确认要覆盖时加 --force。"
            )
        clashes = [f["name"] for f in manifest["files"] if _stored_differs(storage, f["name"], f["sha256"])]
        if clashes:
            raise BackupError(
                f"文件存储中已有同名但内容不同的文件（共 {len(clashes)} 个，如 {clashes[0]}），未做任何恢复。"
                "确认要覆盖时加 --force。"
            )
    _migrate(executor, targets, using)
    _restore_files(directory, manifest, storage, progress)
    _load(connection, directory, manifest, progress)
    problems = restore_verify(connection, manifest, storage, progress)
    if problems:
        raise BackupError("恢复后校验未通过：\n" + "\n".join(problems))
    return RestoreResult(
        tables={t: v["rows"] for t, v in manifest["tables"].items()}, files=len(manifest["files"]), manifest=manifest
    )


def _migration_targets(executor: MigrationExecutor, wanted: dict[str, list[str]]) -> list[tuple[str, str]]:
    """The last applied migration of each app in the backup, after checking that this program knows every
    one of them and that the target database is not ahead of the backup."""
    graph = executor.loader.graph
    wanted_set = {(app, name) for app, names in wanted.items() for name in names}
    unknown = sorted(key for key in wanted_set if key not in graph.nodes)
    if unknown:
        names = "、".join(f"{a}.{n}" for a, n in unknown[:5])
        raise BackupError(f"这份备份来自更新的程序版本（本程序不认识迁移 {names}）：请先升级程序，再恢复。")
    ahead = sorted(
        key for key in executor.loader.applied_migrations
        if key in graph.nodes and key not in wanted_set
    )
    if ahead:
        names = "、".join(f"{a}.{n}" for a, n in ahead[:5])
        raise BackupError(f"目标数据库的结构比备份新（已应用迁移 {names}）：请恢复到一个新的空数据库，然后再执行 migrate。")
    return sorted(
        key for key in wanted_set
        if not any(child.key in wanted_set and child.key[0] == key[0] for child in graph.node_map[key].children)
    )


def _migrate(executor: MigrationExecutor, targets: list[tuple[str, str]], using: str) -> None:
    if not executor.migration_plan(targets):
        return
    leaves = {key for key in executor.loader.graph.leaf_nodes() if key[0] in {t[0] for t in targets}}
    everything = {key[0] for key in executor.loader.graph.leaf_nodes()} == {t[0] for t in targets}
    if everything and leaves == set(targets):
        call_command("migrate", database=using, interactive=False, verbosity=0)
        return
    for app_label, name in targets:
        call_command("migrate", app_label, name, database=using, interactive=False, verbosity=0)


def database_in_use(connection: BaseDatabaseWrapper) -> str | None:
    """The first table holding data that `migrate` does not create by itself, or None for an empty database."""
    existing = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        for model in backup_models():
            table = model._meta.db_table
            if model._meta.label_lower in SEEDED_MODELS or table not in existing:
                continue
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                return table
    return None


def _stored_sha256(storage: Storage, name: str) -> str | None:
    if not storage.exists(name):
        return None
    digest = hashlib.sha256()
    with storage.open(name, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stored_differs(storage: Storage, name: str, sha256: str) -> bool:
    stored = _stored_sha256(storage, name)
    return stored is not None and stored != sha256


def _restore_files(directory: Path, manifest: dict[str, Any], storage: Storage, progress: ProgressFactory) -> None:
    bar = progress("恢复文件", len(manifest["files"]), "个")
    for entry in manifest["files"]:
        name = entry["name"]
        stored = _stored_sha256(storage, name)
        if stored == entry["sha256"]:
            bar.update()
            continue
        if stored is not None:
            storage.delete(name)
        with (directory / FILES_DIR / safe_relative(name)).open("rb") as fh:
            saved = storage.save(name, File(fh, name=name))
        if saved != name:
            raise BackupError(f"文件 {name} 被存储改名为 {saved}，无法按原名恢复。")
        bar.update()
    bar.close()


def _load(connection: BaseDatabaseWrapper, directory: Path, manifest: dict[str, Any], progress: ProgressFactory) -> None:
    """Empty every table and insert the backup's rows, in one transaction (foreign keys are checked at
    commit, so self-references and cycles load in any order)."""
    plan: list[tuple[str, dict[str, Any], type[models.Model]]] = []
    for table, entry in manifest["tables"].items():
        try:
            model = apps.get_model(entry["model"])
        except LookupError as error:
            raise BackupError(f"备份中的表 {table}（{entry['model']}）在本程序中不存在。") from error
        plan.append((table, entry, model))
    bar = progress("恢复数据", sum(e["rows"] for _, e, _ in plan), "行")
    style = no_style()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
        for sql in connection.ops.sql_flush(style, tables, allow_cascade=True):
            cursor.execute(sql)
        for table, entry, model in plan:
            _insert_rows(connection, cursor, directory, table, entry, model, bar)
        for sql in connection.ops.sequence_reset_sql(style, [m for _, _, m in plan]):
            cursor.execute(sql)
    bar.close()
    ContentType.objects.clear_cache()


def _insert_rows(
    connection: BaseDatabaseWrapper, cursor: Any, directory: Path, table: str, entry: dict[str, Any],
    model: type[models.Model], bar: Any,
) -> None:
    try:
        fields = [model._meta.get_field(column) for column in entry["columns"]]
    except Exception as error:
        raise BackupError(f"备份中表 {table} 的列与本程序不一致：{error}") from error
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in fields)  # type: ignore[union-attr]
    prepared = (
        [f.get_db_prep_save(_decode(f, v), connection) for f, v in zip(fields, row, strict=True)]  # type: ignore[union-attr, arg-type]
        for row in rows_read(directory, entry)
    )
    if connection.vendor == "postgresql":
        # COPY: many times faster than INSERTs, in the same transaction as everything else.
        with connection.connection.cursor() as raw, raw.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
            for count, values in enumerate(prepared, start=1):
                copy.write_row(values)
                if count % BATCH == 0:
                    bar.update(BATCH)
            bar.update(entry["rows"] % BATCH)
        return
    sql = f"INSERT INTO {qn(table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608
    batch: list[list[Any]] = []
    for values in prepared:
        batch.append(values)
        if len(batch) >= BATCH:
            cursor.executemany(sql, batch)
            bar.update(len(batch))
            batch = []
    if batch:
        cursor.executemany(sql, batch)
        bar.update(len(batch))


def restore_verify(
    connection: BaseDatabaseWrapper, manifest: dict[str, Any], storage: Storage | None = None,
    progress: ProgressFactory = no_progress,
) -> list[str]:
    """Differences between the database/storage and the manifest: row counts per table, and the size and
    SHA-256 of every file. An empty list means the restore is complete."""
    storage = storage or default_storage
    problems: list[str] = []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, entry in manifest["tables"].items():
            cursor.execute(f"SELECT COUNT(*) FROM {qn(table)}")  # noqa: S608
            count = cursor.fetchone()[0]
            if count != entry["rows"]:
                problems.append(f"表 {table}：备份中 {entry['rows']} 行，恢复后 {count} 行")
    bar = progress("校验文件", len(manifest["files"]), "个")
    for entry in manifest["files"]:
        stored = _stored_sha256(storage, entry["name"])
        if stored is None:
            problems.append(f"文件 {entry['name']}：恢复后不存在")
        elif stored != entry["sha256"]:
            problems.append(f"文件 {entry['name']}：SHA-256 与备份不符")
        bar.update()
    bar.close()
    return problems
