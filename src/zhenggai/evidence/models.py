"""Evidence files (佐证材料, DOMAIN §2): stored through Django's storage API outside the static root,
hashed, type-checked by content, with EXIF capture time and GPS position when the file carries them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhenggai.accounts.models import Organization


class EvidenceCategory(models.TextChoices):
    BEFORE_PHOTO = "before_photo", _("整改前照片")
    AFTER_PHOTO = "after_photo", _("整改后照片")
    MONITORING = "monitoring", _("监测报告")
    PENALTY = "penalty", _("处罚文书")
    MINUTES = "minutes", _("会议纪要")
    POLICY = "policy", _("制度文件")
    STATEMENT = "statement", _("情况说明")
    ACCEPTANCE = "acceptance", _("验收意见")
    OTHER = "other", _("其他")


class Evidence(models.Model):
    task = models.ForeignKey(
        "rectification.Task", on_delete=models.PROTECT, null=True, blank=True, related_name="evidence",
        verbose_name=_("整改任务"),
    )
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.PROTECT, null=True, blank=True, related_name="evidence",
        verbose_name=_("信访件"),
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("上传单位")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    category = models.CharField(_("类别"), max_length=20, choices=EvidenceCategory.choices)
    description = models.CharField(_("说明"), max_length=255, blank=True)
    file = models.FileField(_("文件"), upload_to="evidence/%Y/%m/", max_length=255)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    captured_at = models.DateTimeField(_("拍摄时间"), null=True, blank=True)
    gps_lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    gps_lon = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # 64-bit perceptual hash (16 hex digits) of images, for near-duplicate photos; blank for other files
    phash = models.CharField(_("感知哈希"), max_length=16, blank=True, default="")
    thumbnail = models.FileField(_("缩略图"), upload_to="evidence/thumbs/%Y/%m/", max_length=255, blank=True)
    is_public = models.BooleanField(_("可公开"), default=False, help_text=_("整改前后照片可在公众门户展示"))

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
