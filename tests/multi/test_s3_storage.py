"""Evidence in S3-compatible storage (ZHENGGAI_S3_BUCKET…, config/settings.py `s3_storage`): moto's S3 server
on a free port is the remote end; uploads go through the real upload page, downloads through the real views,
and `zhenggai verify-audit --files` and `zhenggai backup` read the bucket."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from PIL import Image

from zhenggai.config.settings import s3_storage
from zhenggai.evidence.models import Evidence
from zhenggai.inspections.models import Plan

from ..evidence import samples as s

REPO = Path(__file__).resolve().parents[2]
PREFIX = "zhenggai"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings, tmp_path):
    """A new bucket, configured exactly as the environment variables an operator sets would configure it."""
    env = {
        "ZHENGGAI_S3_BUCKET": f"zg-evidence-{secrets.token_hex(4)}", "ZHENGGAI_S3_ENDPOINT_URL": s3_endpoint,
        "ZHENGGAI_S3_ACCESS_KEY_ID": "test-key", "ZHENGGAI_S3_SECRET_ACCESS_KEY": "test-secret",
        "ZHENGGAI_S3_REGION": "us-east-1", "ZHENGGAI_S3_PREFIX": PREFIX, "ZHENGGAI_S3_ADDRESSING_STYLE": "path",
    }
    client = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="test-key",
                          aws_secret_access_key="test-secret", region_name="us-east-1")
    client.create_bucket(Bucket=env["ZHENGGAI_S3_BUCKET"])
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage(env)}
    settings.MEDIA_ROOT = tmp_path / "local-media"  # must stay empty
    return SimpleNamespace(client=client, name=env["ZHENGGAI_S3_BUCKET"], env=env)


def keys(bucket) -> list[str]:
    return sorted(o["Key"] for o in bucket.client.list_objects_v2(Bucket=bucket.name).get("Contents", []))


def upload(client, world) -> dict[str, Evidence]:
    client.force_login(world.users.staff)
    for name, data, category, public in (("整改前.jpg", s.jpeg(), "before_photo", True),
                                         ("监测报告.pdf", s.pdf(), "monitoring", False)):
        form = {"category": category, "files": [s.upload(name, data)]}
        if public:
            form["is_public"] = "on"
        response = client.post(reverse("evidence_upload", args=[world.t_dept.pk]), form)
        assert response.status_code == 302, response.content.decode()[:2000]
    return {e.original_name: e for e in Evidence.objects.all()}


def test_the_default_stays_the_local_folder():
    assert s3_storage({}) is None and s3_storage({"ZHENGGAI_S3_BUCKET": " "}) is None
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.core.files.storage import storages;"
         "print(type(storages['default']).__name__, storages['default'].bucket_name)"],
        env={k: v for k, v in os.environ.items() if not k.startswith("ZHENGGAI_S3_")}
        | {"DJANGO_SETTINGS_MODULE": "zhenggai.config.settings", "ZHENGGAI_S3_BUCKET": "zg-bucket"},
        cwd=REPO, capture_output=True, text=True, check=True, timeout=60)
    assert done.stdout.split() == ["S3Storage", "zg-bucket"]  # the environment alone switches it


def test_evidence_uploaded_through_the_page_lives_in_the_bucket_and_comes_back_byte_for_byte(
        bucket, world, client, settings):
    stored = upload(client, world)
    photo, report = stored["整改前.jpg"], stored["监测报告.pdf"]
    in_bucket = keys(bucket)
    assert f"{PREFIX}/{photo.file.name}" in in_bucket and f"{PREFIX}/{report.file.name}" in in_bucket
    assert f"{PREFIX}/{photo.thumbnail.name}" in in_bucket
    assert not Path(settings.MEDIA_ROOT).exists()
    for evidence, data in ((photo, s.jpeg()), (report, s.pdf())):
        response = client.get(reverse("evidence_download", args=[evidence.pk]))
        body = b"".join(response.streaming_content)
        assert response.status_code == 200 and body == data
        assert hashlib.sha256(body).hexdigest() == evidence.sha256
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
    thumb = client.get(reverse("evidence_thumbnail", args=[photo.pk]))
    with Image.open(io.BytesIO(b"".join(thumb.streaming_content))) as image:
        assert image.format == "JPEG" and max(image.size) <= 320
    Plan.objects.filter(pk=world.plan.pk).update(published_date=dt.date(2025, 4, 1))  # the portal shows it
    public = client.get(reverse("portal:photo_thumb", args=[photo.pk]))
    assert public.status_code == 200 and public.content[:2] == b"\xff\xd8"  # kept in the page cache: bytes


def test_a_missing_object_answers_404_not_an_error(bucket, world, client):
    report = upload(client, world)["监测报告.pdf"]
    bucket.client.delete_object(Bucket=bucket.name, Key=f"{PREFIX}/{report.file.name}")
    assert client.get(reverse("evidence_download", args=[report.pk])).status_code == 404


def test_verify_audit_files_reads_the_bucket_and_finds_a_changed_or_lost_object(bucket, world, client):
    stored = upload(client, world)
    call_command("verify_audit", "--files", stdout=io.StringIO())
    photo, report = stored["整改前.jpg"], stored["监测报告.pdf"]
    bucket.client.put_object(Bucket=bucket.name, Key=f"{PREFIX}/{photo.file.name}", Body=b"changed")
    bucket.client.delete_object(Bucket=bucket.name, Key=f"{PREFIX}/{report.file.name}")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_audit", "--files", stdout=io.StringIO(), stderr=err)
    assert f"#{photo.pk}（整改前.jpg）的文件内容已被改动" in err.getvalue()
    assert f"#{report.pk}（监测报告.pdf）的文件已丢失" in err.getvalue()


@pytest.mark.django_db(transaction=True)
def test_backup_copies_the_bucket_and_says_so(bucket, world, client, tmp_path):
    stored = upload(client, world)
    default_storage.save("imports/pending.xlsx", io.BytesIO(b"an upload waiting for confirmation"))
    out = io.StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=out)
    assert f"S3 存储桶 {bucket.name}/{PREFIX}" in out.getvalue()
    assert "版本控制" in out.getvalue()
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    files = {f["name"]: f for f in manifest["files"]}
    assert manifest["missing_files"] == []
    for evidence in stored.values():
        entry = files[evidence.file.name]
        assert entry["sha256"] == evidence.sha256
        copied = tmp_path / "backup" / "files" / evidence.file.name
        assert hashlib.sha256(copied.read_bytes()).hexdigest() == evidence.sha256
    assert files["imports/pending.xlsx"]["orphan"] is True
