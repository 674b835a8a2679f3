"""The portal keeps no domain data; its one table is the version of the public data (see `caching`)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicDataVersion(models.Model):
    """One slot of the public data's version counter. Every transaction that writes public data adds one
    to a slot it can lock at once (`caching.public_data_changed`); the version is the sum of all slots, so
    it grows with every such commit whatever the order of the commits. Slots are added when all are locked
    by transactions still running, and never removed."""

    number = models.BigIntegerField(_("计数"), default=0)
    changed_at = models.DateTimeField(_("最后变更时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("公开数据版本")
        verbose_name_plural = _("公开数据版本")

    def __str__(self) -> str:
        return f"{self.pk}: {self.number}"
