"""`zhenggai backup DIR` / `zhenggai restore DIR`: real databases, real files, restores run as the real
command in a separate process against a fresh empty database (a new SQLite file, a new PostgreSQL database)
and a fresh data folder."""

from __future__ import annotations

import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import dj_database_url
import psycopg
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from zhenggai.accounts.models import Organization, User
from zhenggai.core.backup import BackupError, backup_create, manifest_read
from zhenggai.core.events import audit_verify
from zhenggai.core.models import Event, EventChain
from zhenggai.evidence.models import Evidence
from zhenggai.evidence.services import evidence_create
from zhenggai.rectification.models import Measure, ProgressReport, Task
from zhenggai.rectification.rounds import report_approve, report_save_draft, report_submit

from .. import factories as f
from ..evidence import samples as s

# Where a throw-away PostgreSQL database can be created (the server the PostgreSQL suite runs on).
ADMIN_PG_URL = os.environ.get("ZHENGGAI_TEST_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
SAMPLED = [User, Organization, Task, Measure, Evidence, ProgressReport, Event, EventChain, ContentType, Permission,
           Group, User.user_permissions.through, Task.implementing_units.through]


@pytest.fixture
def scenario(world, transactional_db):
    """The `world` plus evidence files (a photo with its thumbnail, a PDF), an approved progress report
    with an attached photo, a user permission and group (content types), and a file no row names."""
    staff, head = world.users.staff, world.users.head
    evidence_create(actor=staff, task=world.t_dept, file=s.upload("整改前.jpg", s.jpeg(), "image/jpeg"),
                    category="before_photo")
    evidence_create(actor=staff, task=world.t_dept, file=s.upload("监测报告.pdf", s.pdf(), "application/pdf"),
                    category="monitoring")
    report = report_save_draft(
        actor=staff, round=None, task=world.t_dept, files=[s.upload("现场.jpg", s.jpeg(taken=None), "image/jpeg")],
        data={"stage": "advancing", "description": "已完成管网排查 3 公里", "percent": 30, "next_steps": "继续排查"},
    )
    report_submit(actor=staff, report=report)
    report_approve(actor=head, report=report)
    group = Group.objects.create(name="值班")
    group.permissions.add(Permission.objects.get(codename="view_task", content_type__app_label="rectification"))
    world.users.admin.groups.add(group)
    world.users.admin.user_permissions.add(Permission.objects.get(codename="change_evidence", content_type__app_label="evidence"))
    default_storage.save("imports/pending-upload.xlsx", ContentFile(b"not referenced by any row"))
    return world


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@contextmanager
def new_postgres_database():
    """A fresh, empty PostgreSQL database with a random name, dropped afterwards."""
    name = f"zg_restore_{secrets.token_hex(6)}"
    with psycopg.connect(ADMIN_PG_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield ADMIN_PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(ADMIN_PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def other_database(url: str):
    """A second connection alias on a restored database, for reading it through the ORM."""
    alias = f"restored_{secrets.token_hex(4)}"
    connections.databases[alias] = connections.configure_settings({"default": dj_database_url.parse(url)})["default"]
    connections[alias].connect()  # opened here: the test case only lets established extra connections through
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections.databases[alias]


def zhenggai(*args: str, url: str, data_dir: Path) -> subprocess.Popen:
    """The `zhenggai` console script in its own process, on database `url` and data folder `data_dir`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENGGAI_", "DJANGO_"))}
    env.update(DATABASE_URL=url, ZHENGGAI_DATA_DIR=str(data_dir))
    return subprocess.Popen([sys.executable, "-m", "zhenggai", *args], env=env, cwd=data_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def rows(alias: str, model) -> list[dict]:
    return list(model._base_manager.using(alias).order_by("pk").values())


def assert_identical(alias: str, manifest: dict, media: Path) -> None:
    target = connections[alias]
    with target.cursor() as cursor:
        for table, entry in manifest["tables"].items():
            cursor.execute(f'SELECT COUNT(*) FROM {target.ops.quote_name(table)}')
            assert cursor.fetchone()[0] == entry["rows"], table
    for model in SAMPLED:
        assert rows(alias, model) == rows("default", model), model._meta.label
    for entry in manifest["files"]:
        assert sha256(media / entry["name"]) == entry["sha256"], entry["name"]


def test_backup_restores_into_fresh_sqlite_and_postgresql_with_identical_rows_and_files(scenario, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    manifest = manifest_read(backup)

    assert manifest["database_vendor"] == connection.vendor
    assert manifest["tables"]["rectification_task"]["rows"] == Task.objects.count() == 4
    assert manifest["tables"]["core_event"]["rows"] == Event.objects.count() > 0
    assert "django_session" not in manifest["tables"] and "django_q_ormq" not in manifest["tables"]
    files = {entry["name"]: entry for entry in manifest["files"]}
    for evidence in Evidence.objects.all():
        assert files[evidence.file.name]["sha256"] == evidence.sha256
        assert not files[evidence.file.name]["orphan"]
        if evidence.thumbnail:
            assert evidence.thumbnail.name in files
    assert files["imports/pending-upload.xlsx"]["orphan"]
    assert len(files) == 6  # 2 photos with their thumbnails, 1 PDF, 1 orphan
    for name, entry in files.items():
        assert sha256(backup / "files" / name) == entry["sha256"] == sha256(Path(settings.MEDIA_ROOT) / name)

    sqlite_dir, pg_dir = tmp_path / "target-sqlite", tmp_path / "target-pg"
    sqlite_dir.mkdir()
    pg_dir.mkdir()
    sqlite_url = f"sqlite:///{sqlite_dir / 'restored.sqlite3'}"
    with new_postgres_database() as pg_url:
        targets = [(sqlite_url, sqlite_dir), (pg_url, pg_dir)]
        restores = [zhenggai("restore", str(backup), url=url, data_dir=d) for url, d in targets]
        audits = []
        for process, (url, data_dir) in zip(restores, targets, strict=True):  # both restores run at once
            code, output = finish(process)
            assert code == 0, output
            assert "行数和文件 SHA-256 均与备份一致" in output
            audits.append(zhenggai("verify-audit", url=url, data_dir=data_dir))
        for process in audits:
            code, output = finish(process)
            assert code == 0 and "链全部通过校验" in output, output
        for url, data_dir in [(sqlite_url, sqlite_dir), (pg_url, pg_dir)]:
            with other_database(url) as alias:
                assert_identical(alias, manifest, data_dir / "media")
                assert connections[alias].vendor in {"sqlite", "postgresql"}
                # new rows get fresh keys after the restored ones (sequences reset on PostgreSQL)
                region = Organization.objects.using(alias).first().region
                created = Organization.objects.using(alias).create(name="新单位", region=region)
                assert created.pk > Organization.objects.order_by("-pk").first().pk


def test_restore_refuses_a_database_in_use_unless_forced_which_replaces_everything(scenario, tmp_path):
    backup = tmp_path / "backup"
    backup_create(backup)
    manifest = manifest_read(backup)
    f.task(actor=scenario.users.office, plan=scenario.plan, number=50, units=[scenario.dept], title="备份之后的任务")
    events = Event.objects.count()

    with pytest.raises(CommandError, match="目标数据库不是空的"):
        call_command("restore", str(backup))
    assert Task.objects.count() == 5 and Event.objects.count() == events

    call_command("restore", "--force", str(backup))
    assert Task.objects.count() == 4 and not Task.objects.filter(number=50).exists()
    with connection.cursor() as cursor:
        for table, entry in manifest["tables"].items():
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            assert cursor.fetchone()[0] == entry["rows"], table
    assert list(audit_verify()) == []
    assert User.objects.get(username="admin").has_perm("evidence.change_evidence")


def test_a_changed_byte_in_the_backup_fails_the_restore_naming_the_file(scenario, tmp_path):
    backup = tmp_path / "backup"
    backup_create(backup)
    photo = Evidence.objects.filter(content_type="image/jpeg").first().file.name
    damaged = backup / "files" / photo
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    events = Event.objects.count()

    with pytest.raises(CommandError) as failure:
        call_command("restore", "--force", str(backup))
    assert "备份已损坏" in str(failure.value) and f"files/{photo}" in str(failure.value)
    assert Event.objects.count() == events  # nothing was touched

    with pytest.raises(BackupError, match="已存在且不为空"):
        backup_create(backup)

    rows_file = backup / "data" / "core.event.jsonl"
    rows_file.write_text(rows_file.read_text(encoding="utf-8").replace("task.created", "task.cre4ted", 1),
                         encoding="utf-8")
    with pytest.raises(CommandError, match="data/core.event.jsonl"):
        call_command("restore", "--force", str(backup))


def test_a_backup_taken_while_tasks_are_written_is_one_consistent_snapshot(world, transactional_db, tmp_path):
    written = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        try:
            number = 100
            while not stop.is_set():
                f.task(actor=world.users.office, plan=world.plan, number=number, units=[world.dept],
                       title=f"并发写入的任务 {number}")
                written.append(number)
                number += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            connections.close_all()

    during: dict[str, int] = {}

    def progress(desc, total, unit):
        class Bar:
            def update(self, n=1):
                if desc == "导出数据" and "start" not in during:
                    during["start"] = len(written)
                    deadline = time.monotonic() + 20
                    while len(written) < during["start"] + 3 and time.monotonic() < deadline:
                        time.sleep(0.02)
                    during["end"] = len(written)

            def close(self):
                pass

        return Bar()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 2 and thread.is_alive():
            time.sleep(0.02)
        backup_create(tmp_path / "backup", progress=progress)
    finally:
        stop.set()
        thread.join(30)
    assert not failures, failures
    assert during["end"] >= during["start"] + 3  # the writer committed tasks while the snapshot was being read

    manifest = manifest_read(tmp_path / "backup")
    dumped = {}
    for table, entry in manifest["tables"].items():
        lines = (tmp_path / "backup" / entry["file"]).read_text(encoding="utf-8").splitlines()
        assert len(lines) == entry["rows"], table
        dumped[table] = [dict(zip(entry["columns"], json.loads(line), strict=True)) for line in lines]
    tasks = dumped["rectification_task"]
    assert len(tasks) < Task.objects.count()  # later tasks are not in the snapshot
    chains = {c["id"]: c for c in dumped["core_eventchain"]}
    events_by_chain: dict[int, list[dict]] = {}
    for event in dumped["core_event"]:
        events_by_chain.setdefault(event["chain_id"], []).append(event)
    for chain_id, chain in chains.items():
        events = sorted(events_by_chain.get(chain_id, []), key=lambda e: e["seq"])
        assert [e["seq"] for e in events] == list(range(1, chain["length"] + 1)), chain["key"]
        assert (events[-1]["hash"] if events else "") == chain["head_hash"], chain["key"]
    chain_keys = {c["key"] for c in chains.values()}
    measured = {m["task_id"] for m in dumped["rectification_measure"]}
    for task in tasks:
        assert f"task:{task['id']}" in chain_keys
        assert task["id"] in measured


def test_a_file_missing_from_storage_is_reported_and_the_rest_backed_up(world, tmp_path):
    """Inside an open transaction (here the test's) the backup reads that transaction's view."""
    kept = evidence_create(actor=world.users.staff, task=world.t_dept, category="monitoring",
                           file=s.upload("监测报告.pdf", s.pdf(), "application/pdf"))
    lost = evidence_create(actor=world.users.staff, task=world.t_dept, category="monitoring",
                           file=s.upload("处罚决定书.pdf", s.pdf(), "application/pdf"))
    default_storage.delete(lost.file.name)
    err = io.StringIO()
    call_command("backup", str(tmp_path / "backup"), stderr=err)

    manifest = manifest_read(tmp_path / "backup")
    assert manifest["missing_files"] == [lost.file.name]
    assert [entry["name"] for entry in manifest["files"]] == [kept.file.name]
    assert manifest["tables"]["evidence_evidence"]["rows"] == 2
    assert "1 个文件在文件存储中不存在" in err.getvalue() and lost.file.name in err.getvalue()
