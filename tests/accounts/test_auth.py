import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_passwords_are_hashed_with_argon2_outside_tests():
    source = (settings.PACKAGE_DIR / "config" / "settings.py").read_text(encoding="utf-8")
    assert '"django.contrib.auth.hashers.Argon2PasswordHasher"' in source
    assert settings.PASSWORD_HASHERS[-2] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_login_and_logout(client, world):
    response = client.post(reverse("login"), {"username": "head", "password": "pw-for-tests-123"})
    assert response.status_code == 302 and response["Location"] == reverse("workbench")
    page = client.get(reverse("workbench")).content.decode()
    assert "区住房城乡建委" in page and "责任单位负责人" in page
    client.post(reverse("logout"))
    assert client.get(reverse("workbench")).status_code == 302


def test_wrong_password_message_is_chinese(client, world):
    response = client.post(reverse("login"), {"username": "head", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_login_throttling_locks_out_after_repeated_failures(client, world, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "head", "password": "nope"})
    locked = client.post(reverse("login"), {"username": "head", "password": "pw-for-tests-123"})
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    # another account from the same address is not locked
    ok = client.post(reverse("login"), {"username": "head2", "password": "pw-for-tests-123"})
    assert ok.status_code == 302


def test_password_change_applies_the_rules(client, world):
    client.force_login(world.users.staff)
    weak = client.post(reverse("password_change"), {
        "old_password": "pw-for-tests-123", "new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200 and "is-invalid" in weak.content.decode()
    strong = client.post(reverse("password_change"), {
        "old_password": "pw-for-tests-123", "new_password1": "青山绿水-2025-整改", "new_password2": "青山绿水-2025-整改"})
    assert strong.status_code == 302
    world.users.staff.refresh_from_db()
    assert world.users.staff.check_password("青山绿水-2025-整改")


def test_health_and_readiness(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


def test_production_refuses_the_insecure_default_secret(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "ZHENGGAI_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    code = "import zhenggai.config.wsgi"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "ZHENGGAI_SECRET_KEY" in result.stderr
    env["ZHENGGAI_SECRET_KEY"] = "a-real-secret-for-this-test-0123456789"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_console_script_maps_hyphenated_commands(tmp_path):
    zhenggai = settings.BASE_DIR / ".venv" / "bin" / "zhenggai"
    exe = str(zhenggai) if zhenggai.exists() else "zhenggai"
    env = {"PATH": f"{sys.prefix}/bin:/usr/bin:/bin", "ZHENGGAI_DATA_DIR": str(tmp_path), "HOME": str(tmp_path)}
    result = subprocess.run([exe, "verify-audit", "--help"], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "哈希链" in result.stdout
