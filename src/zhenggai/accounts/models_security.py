"""Sign-in security: TOTP second factors, their recovery codes and the sign-in record (issue 8).

Imported at the end of `accounts.models` so that Django registers the models with the accounts app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TwoFactorDevice(models.Model):
    """A user's TOTP authenticator (RFC 6238, SHA-1, 6 digits, 30 s). Unconfirmed until the user has typed
    one valid code; only a confirmed device is asked for at sign-in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor", verbose_name=_("用户")
    )
    # Base32, as authenticator apps expect it. Stored as is: the server must compute the same codes.
    secret = models.CharField(_("密钥"), max_length=64)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    # The last accepted time step: a code is accepted once, never replayed within its window.
    last_step = models.BigIntegerField(_("最后使用的时间步"), default=0)

    class Meta:
        verbose_name = _("两步验证设备")
        verbose_name_plural = _("两步验证设备")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; only its SHA-256 is stored (the codes are random
    with 50 bits, so a fast hash is enough)."""

    device = models.ForeignKey(TwoFactorDevice, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")
        constraints = [models.UniqueConstraint(fields=["device", "code_hash"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"{self.device} · {'used' if self.used_at else 'unused'}"


class SignInRecord(models.Model):
    """One sign-in, failure or sign-out, with where it came from. Written by signal receivers
    (`accounts.signins`), never changed."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录成功")  # password (and second factor, if enrolled) accepted
        PASSWORD_OK = "password_ok", _("密码正确，待两步验证")  # first step passed, code still to come
        FAILURE = "failure", _("登录失败")  # wrong user name or password
        SECOND_FACTOR_FAILURE = "2fa_failure", _("验证码错误")  # wrong TOTP or recovery code
        LOCKED_OUT = "locked_out", _("已锁定")  # refused because of too many failures
        LOGOUT = "logout", _("退出登录")  # the user signed out
        EXPIRED = "expired", _("会话超时")  # signed out by the idle or absolute session limit

    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("用户"),
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)
    user_agent = models.CharField(_("浏览器"), max_length=255, blank=True)
    detail = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["username", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.username} {self.get_kind_display()}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Sign-in records are append-only.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]


from . import signins  # noqa: E402,F401  (connects the sign-in receivers)
