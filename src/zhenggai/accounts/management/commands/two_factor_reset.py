from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from zhenggai.accounts.models import TwoFactorDevice, User
from zhenggai.core.actors import system_actor
from zhenggai.core.events import event_record


class Command(BaseCommand):
    help = "为丢失手机和恢复码的用户关闭两步验证（用户下次登录后可重新启用）。操作记入操作记录。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="用户名")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError("没有这个用户。")
        with transaction.atomic():
            deleted, _per_model = TwoFactorDevice.objects.filter(user=user).delete()
            if deleted:
                event_record(actor=system_actor(), verb="two_factor_reset", obj=user)
        self.stdout.write("已关闭两步验证。" if deleted else "该用户没有启用两步验证。")
