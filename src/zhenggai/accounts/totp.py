"""TOTP two-factor sign-in (RFC 6238 over RFC 4226, with the standard library) and its services.

Codes are 6 digits, HMAC-SHA1, 30-second steps, one step of clock drift allowed either way — what
common authenticator apps expect. A code is accepted once: the device remembers the last time step used.
Recovery codes are ten random one-time codes, shown once, stored as SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhenggai.core.errors import DomainError
from zhenggai.core.events import event_record

from .models_security import RecoveryCode, TwoFactorDevice

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
ISSUER = "整改"

# The session's two-factor state, set at sign-in (accounts.signins) and read by TwoFactorMiddleware.
STATE_KEY = "zg_2fa"
STATE_OK = "ok"  # the code was given (or the user enrolled) in this session
STATE_NONE = "none"  # the user had no authenticator when the session began
STATE_UNVERIFIED = "unverified"  # enrolled, but the session was opened without the code: to be closed


# ----------------------------------------------------------------------------- RFC 6238


def secret_new() -> str:
    """A random 160-bit secret in Base32 without padding (the length RFC 4226 recommends)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    padded = secret.upper() + "=" * (-len(secret) % 8)
    return base64.b32decode(padded)


def hotp(secret: str, counter: int, digits: int = DIGITS) -> str:
    """RFC 4226: HMAC-SHA1 of the 8-byte counter, dynamically truncated to `digits` decimal digits."""
    mac = hmac.new(_key(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def time_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def totp(secret: str, at: float | None = None) -> str:
    """The code an authenticator shows at time `at` (now by default)."""
    return hotp(secret, time_step(at))


def totp_match(secret: str, code: str, at: float | None = None) -> int | None:
    """The time step whose code equals `code` within the allowed drift, or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time_step(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(hotp(secret, step), code):
            return step
    return None


def otpauth_uri(*, secret: str, account: str, issuer: str = ISSUER) -> str:
    """The `otpauth://totp/...` URI that authenticator apps read from the QR code."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode({"secret": secret, "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS,
                       "period": STEP_SECONDS}, quote_via=quote)
    return f"otpauth://totp/{label}?{query}"


def qr_data_uri(uri: str) -> str:
    """The QR code as an SVG data URI (allowed by the CSP's `img-src 'self' data:`)."""
    import segno

    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


# ----------------------------------------------------------------------------- recovery codes


def _recovery_hash(code: str) -> str:
    normalized = "".join(code.split()).replace("-", "").lower()
    return hashlib.sha256(normalized.encode("ascii", "ignore")).hexdigest()


def _recovery_code_new() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
    raw = "".join(secrets.choice(alphabet) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# ----------------------------------------------------------------------------- selectors


def two_factor_device_for(user: Any) -> TwoFactorDevice | None:
    """The user's confirmed device, or None."""
    if user is None or not getattr(user, "pk", None):
        return None
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def two_factor_required_for(user: Any) -> bool:
    """Whether `ZHENGGAI_REQUIRE_2FA_ROLES` obliges this user to enrol (one of the listed roles)."""
    roles = set(getattr(settings, "ZHENGGAI_REQUIRE_2FA_ROLES", []))
    if not roles or user is None or not user.is_authenticated:
        return False
    return bool(roles & set(user.role_codes)) or (user.is_superuser and "admin" in roles)


# ----------------------------------------------------------------------------- services


def two_factor_enrol_start(*, user: Any) -> TwoFactorDevice:
    """The user's unconfirmed device with a fresh secret (reused while the enrolment is pending).

    Refused when a confirmed device exists: it must be turned off first, with the password."""
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user).first()
        if device is not None and device.is_confirmed:
            raise DomainError(_("两步验证已启用。"))
        if device is None:
            device = TwoFactorDevice.objects.create(user=user, secret=secret_new())
        return device


def two_factor_confirm(*, user: Any, code: str) -> list[str]:
    """Confirms the pending device with one valid code and returns ten new recovery codes (shown once).

    Side effects: the device is confirmed, an event `two_factor_enabled` is recorded on the user."""
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=True).first()
        if device is None:
            raise DomainError(_("没有待启用的两步验证。"))
        step = totp_match(device.secret, code)
        if step is None:
            raise DomainError(_("验证码不正确，请核对手机时间后重试。"), field="code")
        device.confirmed_at = timezone.now()
        device.last_step = step
        device.save(update_fields=["confirmed_at", "last_step"])
        codes = _recovery_codes_replace(device)
        event_record(actor=user, verb="two_factor_enabled", obj=user)
    return codes


def two_factor_disable(*, user: Any, password: str) -> None:
    """Turns two-factor sign-in off after the password is checked again. Records `two_factor_disabled`."""
    if not user.check_password(password):
        raise DomainError(_("密码不正确。"), field="password")
    with transaction.atomic():
        deleted, _per_model = TwoFactorDevice.objects.filter(user=user).delete()
        if deleted:
            event_record(actor=user, verb="two_factor_disabled", obj=user)


def recovery_codes_regenerate(*, user: Any, code: str) -> list[str]:
    """New recovery codes (the old ones stop working) after a valid current TOTP code."""
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        if device is None or not _device_accepts(device, code):
            raise DomainError(_("验证码不正确。"), field="code")
        codes = _recovery_codes_replace(device)
        event_record(actor=user, verb="two_factor_recovery_codes_renewed", obj=user)
    return codes


def _recovery_codes_replace(device: TwoFactorDevice) -> list[str]:
    device.recovery_codes.all().delete()
    codes = [_recovery_code_new() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode(device=device, code_hash=_recovery_hash(c)) for c in codes)
    return codes


def _device_accepts(device: TwoFactorDevice, code: str) -> bool:
    """A TOTP code newer than the last one used; advances `last_step` (caller holds the row lock)."""
    step = totp_match(device.secret, code)
    if step is None or step <= device.last_step:
        return False
    device.last_step = step
    device.save(update_fields=["last_step"])
    return True


def two_factor_verify(*, user: Any, code: str) -> str | None:
    """The second sign-in step: "totp" or "recovery" when `code` is a fresh TOTP code or an unused recovery
    code (which is then spent), else None. Each code works once."""
    with transaction.atomic():
        device = TwoFactorDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
        if device is None:
            return None
        if _device_accepts(device, code):
            return "totp"
        spent = RecoveryCode.objects.filter(
            device=device, code_hash=_recovery_hash(code), used_at__isnull=True
        ).update(used_at=timezone.now())
        if spent:
            event_record(actor=user, verb="two_factor_recovery_code_used", obj=user)
            return "recovery"
    return None


def recovery_codes_left(device: TwoFactorDevice) -> int:
    return device.recovery_codes.filter(used_at__isnull=True).count()
