"""All settings, read from the environment in one place (see docs/operator-guide.md)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = Path(os.environ.get("ZHENGGAI_BASE_DIR", Path.cwd()))
DATA_DIR = Path(os.environ.get("ZHENGGAI_DATA_DIR", BASE_DIR / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


INSECURE_SECRET = "insecure-development-key-change-me"
DEBUG = env_bool("ZHENGGAI_DEBUG", False)
TESTING = env_bool("ZHENGGAI_TESTING", "pytest" in sys.modules)
SECRET_KEY = os.environ.get("ZHENGGAI_SECRET_KEY", INSECURE_SECRET)
# Demo mode: the local `make run` set-up (demo accounts shown on the login page, no HTTPS).
DEMO_MODE = env_bool("ZHENGGAI_DEMO", False)
PRODUCTION = not (DEBUG or TESTING or DEMO_MODE)


def refuse_insecure_production() -> None:
    """Called by the WSGI/ASGI entry points and `zhenggai serve`: production never serves with the
    insecure default secret key."""
    if PRODUCTION and SECRET_KEY == INSECURE_SECRET:
        raise ImproperlyConfigured(
            "ZHENGGAI_SECRET_KEY is not set: production refuses to start with the insecure default key. "
            "Set ZHENGGAI_SECRET_KEY (or ZHENGGAI_DEMO=1 for a local demo)."
        )

ALLOWED_HOSTS = env_list("ZHENGGAI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("ZHENGGAI_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "django_q",
    "axes",
    "zhenggai.core",
    "zhenggai.accounts",
    "zhenggai.inspections",
    "zhenggai.rectification",
    "zhenggai.reports",
    "zhenggai.evidence",
    "zhenggai.complaints",
    "zhenggai.notifications",
    "zhenggai.portal",
    "zhenggai.assessment",
    "zhenggai.integrity",
    "zhenggai.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhenggai.core.security.SecurityHeadersMiddleware",
    "zhenggai.core.security.NulQueryMiddleware",
    "zhenggai.core.security.SessionExpiryMiddleware",
    "zhenggai.accounts.middleware.TwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "zhenggai.config.urls"
WSGI_APPLICATION = "zhenggai.config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhenggai.core.context_processors.site",
                "zhenggai.notifications.context_processors.inbox",
            ],
        },
    }
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'zhenggai.sqlite3'}"),
        conn_max_age=int(os.environ.get("ZHENGGAI_DB_CONN_MAX_AGE", "60")),
        # A kept connection is checked before each request reuses it, so that after a database restart
        # the first request reconnects instead of failing on the dead connection (docs/security.md).
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # A file, not shared-cache memory, so that tests of concurrent writers see SQLite's real locking.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / f"test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Several app servers and workers (docs/performance.md): with REDIS_URL set, Redis is the django-q2 broker
# and the cache every process shares (portal pages, API throttling, invalidation of per-process caches).
# Sessions stay in the database, which every app server reads. ZHENGGAI_REDIS_PREFIX keeps the keys and the
# queue of one installation apart from another's on the same Redis server.
REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_PREFIX = os.environ.get("ZHENGGAI_REDIS_PREFIX", "zhenggai")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": REDIS_PREFIX}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

Q_CLUSTER: dict[str, object] = {
    "name": "zhenggai",
    "workers": int(os.environ.get("ZHENGGAI_WORKERS", "2")),
    # A job running longer than `timeout` is stopped; a job not acknowledged within `retry` seconds (its
    # worker was killed) is handed out again. Keep retry above timeout and above the webhook lease.
    "timeout": int(os.environ.get("ZHENGGAI_JOB_TIMEOUT", "600")),
    "retry": int(os.environ.get("ZHENGGAI_JOB_RETRY", "900")),
    "catch_up": False,
    "label": "后台任务",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
    Q_CLUSTER["name"] = REDIS_PREFIX  # the queue's Redis key; app servers and workers must agree on it
else:
    Q_CLUSTER["orm"] = "default"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AXES_FAILURE_LIMIT = int(os.environ.get("ZHENGGAI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_ENABLED = env_bool("ZHENGGAI_LOGIN_THROTTLING", True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("ZHENGGAI_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("ZHENGGAI_MEDIA_ROOT", DATA_DIR / "media"))
MEDIA_URL = "/media-not-served/"


def s3_storage(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The S3-compatible file storage (django-storages; `pip install 'zhenggai[s3]'`) that
    ZHENGGAI_S3_BUCKET and its companions ask for, or None for the local folder MEDIA_ROOT.
    Objects stay private: every download goes through the application's scope checks."""
    bucket = environ.get("ZHENGGAI_S3_BUCKET", "").strip()
    if not bucket:
        return None
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "endpoint_url": environ.get("ZHENGGAI_S3_ENDPOINT_URL") or None,  # MinIO, Ceph, OSS, COS, OBS …
        "region_name": environ.get("ZHENGGAI_S3_REGION") or None,
        # without keys, boto3's own chain applies (AWS_* variables, an instance role)
        "access_key": environ.get("ZHENGGAI_S3_ACCESS_KEY_ID") or None,
        "secret_key": environ.get("ZHENGGAI_S3_SECRET_ACCESS_KEY") or None,
        "location": environ.get("ZHENGGAI_S3_PREFIX", "").strip("/"),  # key prefix inside the bucket
        "addressing_style": environ.get("ZHENGGAI_S3_ADDRESSING_STYLE") or None,  # "path" for most MinIO
        "default_acl": None,  # the bucket's policy: private
        "file_overwrite": False,  # as the local folder: a name that exists is never silently replaced
        "querystring_auth": True,
    }
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


STORAGES = {
    "default": s3_storage(os.environ) or {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

EMAIL_BACKEND = os.environ.get("ZHENGGAI_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("ZHENGGAI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("ZHENGGAI_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("ZHENGGAI_EMAIL_FROM", "zhenggai@localhost")
EMAIL_HOST_USER = os.environ.get("ZHENGGAI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ZHENGGAI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("ZHENGGAI_EMAIL_TLS", False)
EMAIL_USE_SSL = env_bool("ZHENGGAI_EMAIL_SSL", False)
# Absolute links in e-mails and group-robot messages, e.g. https://zhenggai.example.gov.cn
ZHENGGAI_SITE_URL = os.environ.get("ZHENGGAI_SITE_URL", "").rstrip("/")

# Web hardening (docs/security.md). The Content-Security-Policy is added by zhenggai.core.security.
SESSION_COOKIE_HTTPONLY = True
# Absolute session lifetime after sign-in; idle sessions end earlier (SessionExpiryMiddleware).
SESSION_COOKIE_AGE = int(os.environ.get("ZHENGGAI_SESSION_SECONDS", str(8 * 3600)))
ZHENGGAI_SESSION_IDLE_MINUTES = int(os.environ.get("ZHENGGAI_SESSION_IDLE_MINUTES", "120"))
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True  # pages hand the token to scripts in the markup, never through the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_HSTS_SECONDS = int(os.environ.get("ZHENGGAI_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ZHENGGAI_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off by default (a reverse proxy usually redirects); never in debug.
SECURE_SSL_REDIRECT = env_bool("ZHENGGAI_SSL_REDIRECT", False) and not DEBUG
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
# Roles that must use two-factor sign-in, e.g. "office,admin"; empty = optional for everyone.
ZHENGGAI_REQUIRE_2FA_ROLES = env_list("ZHENGGAI_REQUIRE_2FA_ROLES", "")

DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
ZHENGGAI_IMPORT_MAX_BYTES = int(os.environ.get("ZHENGGAI_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
ZHENGGAI_WARNING_YELLOW_DAYS = int(os.environ.get("ZHENGGAI_WARNING_YELLOW_DAYS", "10"))
ZHENGGAI_NOTICE_WORKING_DAYS = int(os.environ.get("ZHENGGAI_NOTICE_WORKING_DAYS", "10"))
ZHENGGAI_ROUND_DUE_WORKING_DAYS = int(os.environ.get("ZHENGGAI_ROUND_DUE_WORKING_DAYS", "5"))
ZHENGGAI_EVIDENCE_MAX_BYTES = int(os.environ.get("ZHENGGAI_EVIDENCE_MAX_BYTES", str(50 * 1024 * 1024)))
# How long a worker's claim on a webhook delivery lasts before another attempt may take it over (a
# killed worker's claim runs out); shorter than the job retry above, longer than the HTTP timeout (10 s).
ZHENGGAI_WEBHOOK_LEASE_SECONDS = int(os.environ.get("ZHENGGAI_WEBHOOK_LEASE_SECONDS", "120"))
ZHENGGAI_EVIDENCE_MAX_FILES = int(os.environ.get("ZHENGGAI_EVIDENCE_MAX_FILES", "20"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ZHENGGAI_LOG_LEVEL", "WARNING")},
}
