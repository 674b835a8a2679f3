"""Two-factor sign-in (RFC 6238), the roles that must enrol, idle and absolute session expiry, and the
record of every sign-in, failure and sign-out with the page that shows it to administrators."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse

from zhenggai.accounts import totp
from zhenggai.accounts.models import RecoveryCode, SignInRecord, TwoFactorDevice
from zhenggai.core.models import Event

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PASSWORD = "pw-for-tests-123"
UA = "Mozilla/5.0 (iPhone) zhenggai-test"


def password_step(client, username: str):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD}, HTTP_USER_AGENT=UA)


def enrol(client, user, traveller) -> tuple[str, list[str]]:
    """Enrols `user` through the page; returns the secret and the recovery codes shown once."""
    client.force_login(user)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    secret = TwoFactorDevice.objects.get(user=user, confirmed_at__isnull=True).secret
    html = page.content.decode()
    assert secret in html and "data:image/svg+xml" in html
    assert f"otpauth://totp/%E6%95%B4%E6%94%B9:{user.username}?secret={secret}" in html.replace("&amp;", "&")
    shown = client.post(reverse("two_factor_setup"), {"action": "confirm", "code": totp.totp(secret)})
    assert shown.status_code == 200
    codes = re.findall(r"<li class=\"list-group-item\">([a-z0-9]{5}-[a-z0-9]{5})</li>", shown.content.decode())
    assert len(codes) == 10
    client.post(reverse("logout"))
    traveller.shift(dt.timedelta(seconds=60))  # a new time step: the enrolment code is spent
    return secret, codes


def test_codes_follow_rfc_6238():
    # RFC 6238 appendix B, SHA-1, with the 20-byte ASCII secret "12345678901234567890" (6-digit tails)
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert totp.totp(secret, at=59) == "287082"
    assert totp.totp(secret, at=1111111109) == "081804"
    assert totp.totp(secret, at=2000000000) == "279037"
    assert totp.totp_match(secret, "081804", at=1111111109 + 30) is not None  # one step of drift
    assert totp.totp_match(secret, "081804", at=1111111109 + 90) is None
    assert totp.totp_match(secret, "abcdef", at=59) is None


def test_enrol_then_sign_in_needs_the_code(client, world):
    office = world.users.office
    with time_machine.travel(START, tick=False) as traveller:
        client.force_login(office)
        client.get(reverse("two_factor_setup"))
        refused = client.post(reverse("two_factor_setup"), {"action": "confirm", "code": "000000"})
        assert refused.status_code == 400 and "验证码不正确" in refused.content.decode()
        assert not TwoFactorDevice.objects.get(user=office).is_confirmed
        client.post(reverse("logout"))
        secret, _codes = enrol(client, office, traveller)
        assert Event.objects.filter(verb="two_factor_enabled", object_id=str(office.pk)).exists()

        first = password_step(client, "office")
        assert first.status_code == 302 and first["Location"] == reverse("login_2fa")
        assert client.get(reverse("workbench")).status_code == 302  # not signed in yet
        wrong = client.post(reverse("login_2fa"), {"code": "123456"})
        assert wrong.status_code == 400 and "验证码不正确" in wrong.content.decode()
        code = totp.totp(secret)
        done = client.post(reverse("login_2fa"), {"code": code})
        assert done.status_code == 302 and done["Location"] == reverse("workbench")
        assert client.get(reverse("workbench")).status_code == 200

        # the same code a second time (same time step) is refused: codes are not replayable
        client.post(reverse("logout"))
        password_step(client, "office")
        assert client.post(reverse("login_2fa"), {"code": code}).status_code == 400
        assert client.get(reverse("workbench")).status_code == 302

    kinds = list(SignInRecord.objects.filter(user=office).order_by("id").values_list("kind", "detail"))
    assert ("password_ok", "") in kinds and ("2fa_failure", "") in kinds and ("login", "totp") in kinds


def test_recovery_code_works_once(client, world):
    head = world.users.head
    with time_machine.travel(START, tick=False) as traveller:
        _secret, codes = enrol(client, head, traveller)
        password_step(client, "head")
        used = client.post(reverse("login_2fa"), {"code": codes[3].upper()})
        assert used.status_code == 302
        assert RecoveryCode.objects.filter(device__user=head, used_at__isnull=False).count() == 1
        client.post(reverse("logout"))
        password_step(client, "head")
        again = client.post(reverse("login_2fa"), {"code": codes[3]})
        assert again.status_code == 400
        assert client.post(reverse("login_2fa"), {"code": codes[4]}).status_code == 302
    assert SignInRecord.objects.filter(user=head, kind="login", detail="recovery").count() == 2


def test_wrong_codes_are_throttled_like_passwords(client, world, settings):
    with time_machine.travel(START, tick=False) as traveller:
        secret, _codes = enrol(client, world.users.staff, traveller)
        password_step(client, "staff")
        answers = [client.post(reverse("login_2fa"), {"code": "000000"}).status_code
                   for _ in range(settings.AXES_FAILURE_LIMIT)]
        assert answers[-1] == 429 and set(answers[:-1]) == {400}
        # locked out: even the right password and code do not sign in now
        assert password_step(client, "staff").status_code == 429
        assert SignInRecord.objects.filter(username="staff").latest("id").kind == "locked_out"
        assert client.get(reverse("workbench")).status_code == 302
        assert totp.totp_match(secret, totp.totp(secret)) is not None


def test_enrolled_user_cannot_skip_the_second_step(client, world):
    with time_machine.travel(START, tick=False) as traveller:
        enrol(client, world.users.leader, traveller)
        # a session opened without the code (here force_login, in real life the admin's own form) is closed
        client.force_login(world.users.leader)
        answer = client.get(reverse("workbench"))
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("login"))
        assert client.get(reverse("workbench")).status_code == 302
        assert SignInRecord.objects.filter(user=world.users.leader, kind="logout",
                                           detail="second_factor_missing").exists()
    admin_login = client.get(reverse("admin:login"))
    assert admin_login.status_code == 302 and admin_login["Location"].startswith(reverse("login"))


def test_turning_it_off_needs_the_password(client, world):
    user = world.users.acceptor
    with time_machine.travel(START, tick=False) as traveller:
        secret, _codes = enrol(client, user, traveller)
        password_step(client, "acceptor")
        client.post(reverse("login_2fa"), {"code": totp.totp(secret)})
        page = client.get(reverse("two_factor_setup"))
        assert "两步验证已于" in page.content.decode() and "还有 10 个未使用的恢复码" in page.content.decode()
        wrong = client.post(reverse("two_factor_setup"), {"action": "disable", "password": "nope"})
        assert wrong.status_code == 400 and TwoFactorDevice.objects.filter(user=user).exists()
        client.post(reverse("two_factor_setup"), {"action": "disable", "password": PASSWORD})
        assert not TwoFactorDevice.objects.filter(user=user).exists()
        client.post(reverse("logout"))
        assert password_step(client, "acceptor")["Location"] == reverse("workbench")


def test_required_roles_must_enrol_before_using_the_site(client, world, settings):
    settings.ZHENGGAI_REQUIRE_2FA_ROLES = ["office", "admin"]
    with time_machine.travel(START, tick=False):
        password_step(client, "office")
        forced = client.get(reverse("task_list"))
        assert forced.status_code == 302 and forced["Location"] == reverse("two_factor_setup")
        api = client.get("/api/v1/tasks")
        assert api.status_code == 403 and api.json()["code"] == "two_factor_required"
        page = client.get(reverse("two_factor_setup"))
        assert page.status_code == 200 and "须启用两步验证" in page.content.decode()
        secret = TwoFactorDevice.objects.get(user=world.users.office).secret
        client.post(reverse("two_factor_setup"), {"action": "confirm", "code": totp.totp(secret)})
        assert client.get(reverse("task_list")).status_code == 200
        # other roles are not obliged
        client.post(reverse("logout"))
        password_step(client, "staff")
        assert client.get(reverse("task_list")).status_code == 200
    settings.ZHENGGAI_REQUIRE_2FA_ROLES = []
    client.post(reverse("logout"))
    password_step(client, "admin")
    assert client.get(reverse("task_list")).status_code == 200


def test_idle_session_expires(client, world, settings):
    settings.ZHENGGAI_SESSION_IDLE_MINUTES = 120
    with time_machine.travel(START, tick=False) as traveller:
        password_step(client, "staff")
        traveller.shift(dt.timedelta(minutes=119))
        assert client.get(reverse("workbench")).status_code == 200  # activity resets the idle clock
        traveller.shift(dt.timedelta(minutes=119))
        assert client.get(reverse("workbench")).status_code == 200
        traveller.shift(dt.timedelta(minutes=121))
        expired = client.get(reverse("workbench"))
        assert expired.status_code == 302 and expired["Location"].startswith(reverse("login"))
        assert client.get("/api/v1/tasks").status_code == 401
    record = SignInRecord.objects.filter(user=world.users.staff).latest("id")
    assert (record.kind, record.detail) == ("expired", "idle")


def test_session_ends_after_its_absolute_lifetime_despite_activity(client, world, settings):
    settings.ZHENGGAI_SESSION_IDLE_MINUTES = 30
    settings.SESSION_COOKIE_AGE = 3600
    with time_machine.travel(START, tick=False) as traveller:
        password_step(client, "head")
        for _ in range(3):
            traveller.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("workbench")).status_code == 200
        traveller.shift(dt.timedelta(minutes=2))
        assert client.get(reverse("workbench")).status_code == 302
    assert SignInRecord.objects.filter(user=world.users.head).latest("id").detail == "absolute"


def test_sign_ins_failures_and_sign_outs_are_recorded_and_shown_to_admins_only(client, world):
    password_step(client, "staff")
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "staff", "password": "wrong"}, HTTP_USER_AGENT=UA,
                REMOTE_ADDR="10.0.0.9")
    client.post(reverse("login"), {"username": "nobody-here", "password": "wrong"}, HTTP_USER_AGENT=UA)
    client.post(reverse("login"), {"username": "other_office", "password": "wrong"}, HTTP_USER_AGENT=UA)
    records = list(SignInRecord.objects.order_by("id").values_list("kind", "username", "ip_address", "user_agent"))
    assert records[:4] == [
        ("login", "staff", "127.0.0.1", UA), ("logout", "staff", "127.0.0.1", ""),
        ("failure", "staff", "10.0.0.9", UA), ("failure", "nobody-here", "127.0.0.1", UA),
    ]
    assert SignInRecord.objects.get(username="nobody-here").user is None

    url = reverse("sign_in_list")
    for refused in (world.users.office, world.users.staff, world.users.leader):
        client.force_login(refused)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(world.users.admin)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "10.0.0.9" in html and "zhenggai-test" in html and "nobody-here" in html and "登录失败" in html
    assert "other_office" not in html  # another district's user is outside the admin's scope
    filtered = client.get(url, {"kind": "failure", "q": "10.0.0.9"}).content.decode()
    assert filtered.count('data-kind="failure"') == 1


def test_operator_resets_a_lost_authenticator(client, world):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(START, tick=False) as traveller:
        enrol(client, world.users.head2, traveller)
        out = StringIO()
        call_command("two_factor_reset", "head2", stdout=out)
        assert "已关闭" in out.getvalue() and not TwoFactorDevice.objects.filter(user=world.users.head2).exists()
        assert Event.objects.filter(verb="two_factor_reset", object_id=str(world.users.head2.pk)).exists()
        assert password_step(client, "head2")["Location"] == reverse("workbench")
