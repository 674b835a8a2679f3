"""Security headers on staff pages, portal pages and API answers; the production settings; a CSRF token
in every POST form of the templates (the portal's objection form excepted: it checks the origin)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

from zhenggai.core.security import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


def assert_hardened(response, where: str) -> None:
    assert response["Content-Security-Policy"] == EXPECTED_CSP, where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where


def test_policy_is_the_documented_one():
    assert CONTENT_SECURITY_POLICY == EXPECTED_CSP
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY.split("style-src-attr")[0]
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY


def test_headers_on_staff_pages_portal_pages_and_api(client, world):
    assert_hardened(client.get(reverse("login")), "login")
    client.force_login(world.users.office)
    for name in ("workbench", "task_list", "dashboard_office", "user_list"):
        response = client.get(reverse(name))
        assert response.status_code in (200, 403), name
        assert_hardened(response, name)
    assert_hardened(client.get(reverse("task_detail", args=[world.t_dept.pk])), "task_detail")
    api = client.get("/api/v1/tasks")
    assert api.status_code == 200 and api["Content-Type"].startswith("application/json")
    assert_hardened(api, "api")
    client.logout()
    assert_hardened(client.get("/api/v1/tasks"), "api 401")
    portal = client.get(reverse("portal:home"))
    assert portal.status_code == 200
    assert_hardened(portal, "portal")
    assert "Cookie" not in portal.get("Vary", "")  # the middleware leaves anonymous portal answers cacheable
    assert_hardened(client.get("/portal/no-such-page/"), "404")


def test_downloads_keep_their_own_sandbox_policy(client, world):
    from django.http import HttpResponse

    from zhenggai.core.security import SecurityHeadersMiddleware

    def view(_request):
        response = HttpResponse(b"%PDF-1.4", content_type="application/pdf")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    answer = SecurityHeadersMiddleware(view)(client.get("/healthz").wsgi_request)
    assert answer["Content-Security-Policy"] == "default-src 'none'; sandbox"


PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
names = ["DEBUG", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY",
         "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "X_FRAME_OPTIONS",
         "SECURE_CONTENT_TYPE_NOSNIFF", "SECURE_REFERRER_POLICY", "SESSION_COOKIE_AGE",
         "ZHENGGAI_SESSION_IDLE_MINUTES", "ZHENGGAI_REQUIRE_2FA_ROLES", "MIDDLEWARE"]
print(json.dumps({n: getattr(settings, n, None) for n in names}))
"""


def production_settings(tmp_path, **extra: str) -> dict:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "ZHENGGAI_DATA_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "zhenggai.config.settings", "ZHENGGAI_DEBUG": "0",
           "ZHENGGAI_SECRET_KEY": "a-real-secret-for-this-test-0123456789abcdef", **extra}
    result = subprocess.run([sys.executable, "-c", PRINT_SETTINGS], env=env, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_are_hardened(tmp_path):
    prod = production_settings(tmp_path)
    assert prod["DEBUG"] is False
    assert prod["SESSION_COOKIE_SECURE"] is True and prod["SESSION_COOKIE_HTTPONLY"] is True
    assert prod["CSRF_COOKIE_SECURE"] is True and prod["CSRF_COOKIE_HTTPONLY"] is True
    assert prod["SECURE_HSTS_SECONDS"] == 31536000 and prod["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert prod["SECURE_SSL_REDIRECT"] is False  # a reverse proxy usually redirects; opt in below
    assert prod["X_FRAME_OPTIONS"] == "DENY" and prod["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert prod["SECURE_REFERRER_POLICY"] == "same-origin"
    assert prod["ZHENGGAI_SESSION_IDLE_MINUTES"] == 120 and prod["ZHENGGAI_REQUIRE_2FA_ROLES"] == []
    for middleware in ("zhenggai.core.security.SecurityHeadersMiddleware",
                       "zhenggai.core.security.SessionExpiryMiddleware",
                       "zhenggai.accounts.middleware.TwoFactorMiddleware"):
        assert middleware in prod["MIDDLEWARE"]
    assert prod["MIDDLEWARE"].index("django.contrib.auth.middleware.AuthenticationMiddleware") < \
        prod["MIDDLEWARE"].index("zhenggai.accounts.middleware.TwoFactorMiddleware")

    opted = production_settings(tmp_path, ZHENGGAI_SSL_REDIRECT="1", ZHENGGAI_REQUIRE_2FA_ROLES="office,admin",
                                ZHENGGAI_SESSION_IDLE_MINUTES="30")
    assert opted["SECURE_SSL_REDIRECT"] is True and opted["ZHENGGAI_REQUIRE_2FA_ROLES"] == ["office", "admin"]
    assert opted["ZHENGGAI_SESSION_IDLE_MINUTES"] == 30
    debug = production_settings(tmp_path, ZHENGGAI_DEBUG="1", ZHENGGAI_SSL_REDIRECT="1")
    assert debug["SECURE_SSL_REDIRECT"] is False and debug["SESSION_COOKIE_SECURE"] is False


# ----------------------------------------------------------------------------- CSRF in every form

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)


def post_forms_without_token() -> list[str]:
    missing = []
    for template in sorted((settings.PACKAGE_DIR / "templates").rglob("*.html")):
        name = str(template.relative_to(settings.PACKAGE_DIR / "templates"))
        for attributes, body in FORM.findall(template.read_text(encoding="utf-8")):
            if re.search(r"method\s*=\s*[\"']?post", attributes, re.I) and "{% csrf_token %}" not in body:
                missing.append(name)
    return missing


def test_every_post_form_carries_a_csrf_token():
    missing = post_forms_without_token()
    assert missing == []  # the public objection form too (its own uncached page, see the portal)
    assert len(list((settings.PACKAGE_DIR / "templates").rglob("*.html"))) > 50


def test_templates_have_no_inline_scripts_or_event_handlers():
    offenders = []
    for template in (settings.PACKAGE_DIR / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if "src=" not in tag and "application/json" not in tag:
                offenders.append((template.name, tag))
        offenders += [(template.name, m) for m in re.findall(r"\son[a-z]+\s*=\s*[\"']", text)]
        offenders += [(template.name, m) for m in re.findall(r"href\s*=\s*[\"']javascript:", text, re.I)]
    assert offenders == []


def test_the_objection_form_is_protected_by_csrf_and_its_origin_check(client, world):
    url = reverse("portal:notice_objection", args=[999999])
    data = {"content": "河边仍有臭味", "contact_name": "张三", "contact": "13912345678"}
    assert client.post(url, data, HTTP_ORIGIN="https://evil.example.com").status_code == 403
    assert client.post(url, data, HTTP_ORIGIN="null").status_code == 403
    assert client.post(url, data, HTTP_SEC_FETCH_SITE="cross-site").status_code == 403
    # from the site itself the second layer passes (and the missing notice answers 404)
    assert client.post(url, data, HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin").status_code == 404
    # Django's token is needed, as for every other form
    strict = client.__class__(enforce_csrf_checks=True)
    assert strict.post(url, data, HTTP_SEC_FETCH_SITE="same-origin").status_code == 403
    assert strict.post(reverse("login"), {"username": "staff", "password": "pw-for-tests-123"}).status_code == 403
