"""Regions, the organization tree, users and their roles (DOMAIN §2, §8)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    OFFICE = "office", _("督察整改办")  # everything in its region
    UNIT_STAFF = "unit_staff", _("责任单位经办人")  # drafts reports, uploads evidence
    UNIT_HEAD = "unit_head", _("责任单位负责人")  # approves reports, applies for acceptance
    ACCEPTOR = "acceptor", _("验收单位")  # reviews applications where its unit accepts
    LEADER = "leader", _("领导")  # reads everything in its region
    DISCIPLINE = "discipline", _("纪检监察")  # reads everything in its region, records accountability
    ADMIN = "admin", _("系统管理员")  # users, organizations, calendar, settings


REGION_WIDE_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.DISCIPLINE})
UNIT_ROLES = frozenset({Role.UNIT_STAFF, Role.UNIT_HEAD, Role.ACCEPTOR})


class TreeNode(models.Model):
    """A node with a materialised path ("/1/5/12/") so that a whole sub-tree is one indexed prefix query."""

    path = models.CharField(max_length=255, editable=False, db_index=True, default="")

    class Meta:
        abstract = True

    def save(self, *args: object, **kwargs: object) -> None:
        parent = getattr(self, "parent", None)
        if self.pk is None:
            super().save(*args, **kwargs)  # type: ignore[arg-type]
            kwargs = {}
        old_path = self.path
        new_path = f"{parent.path if parent else '/'}{self.pk}/"
        if parent is not None and f"/{self.pk}/" in parent.path:
            raise ValueError("a node cannot be its own ancestor")
        self.path = new_path
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        if old_path and old_path != new_path:
            for child in type(self)._default_manager.filter(path__startswith=old_path).exclude(pk=self.pk):
                child.path = new_path + child.path[len(old_path) :]
                models.Model.save(child, update_fields=["path"])

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class Region(TreeNode):
    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        DISTRICT = "district", _("区县")
        TOWNSHIP = "township", _("乡镇街道")

    code = models.CharField(_("区划代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("级别"), max_length=20, choices=Level.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级区域")
    )

    class Meta:
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class Organization(TreeNode):
    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("人民政府")
        OFFICE = "office", _("督察整改办")
        DEPARTMENT = "department", _("部门")
        TOWNSHIP = "township", _("乡镇/街道")
        INSPECTION_GROUP = "inspection_group", _("督察组")
        OTHER = "other", _("其他")

    name = models.CharField(_("名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=50, blank=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("上级单位")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="organizations", verbose_name=_("行政区域"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["sort_order", "id"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="organization_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A user belongs to one organization and holds one or more roles (DOMAIN §8)."""

    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        verbose_name=_("所属单位"),
    )
    phone = models.CharField(_("电话"), max_length=30, blank=True)
    title = models.CharField(_("职务"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        # Chinese names: family name first, no space.
        return f"{self.last_name}{self.first_name}".strip()

    @property
    def role_codes(self) -> frozenset[str]:
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = frozenset(self.roles.values_list("role", flat=True)) if self.pk else frozenset()
            self._role_codes = cached
        return cached

    def forget_roles(self) -> None:
        self.__dict__.pop("_role_codes", None)

    @property
    def role_labels(self) -> list[str]:
        return [str(Role(code).label) for code in sorted(self.role_codes)]


class UserRole(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("用户"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="user_role_unique")]

    def __str__(self) -> str:
        return str(Role(self.role).label)


from .models_security import RecoveryCode, SignInRecord, TwoFactorDevice  # noqa: E402,F401  (registered here)
