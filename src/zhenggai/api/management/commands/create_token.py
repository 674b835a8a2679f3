"""`zhenggai create-token USERNAME [--expires DAYS] [--name NAME]`: create a personal API token."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhenggai.api.services import api_token_create
from zhenggai.core.actors import system_actor
from zhenggai.core.errors import DomainError


class Command(BaseCommand):
    help = ("为用户 USERNAME 创建个人接口令牌并打印令牌（只显示这一次）。令牌以该用户的角色和范围调用接口；"
            "不再使用时在该用户的“接口令牌”页面吊销。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="令牌所代表的用户名")
        parser.add_argument("--expires", type=int, default=None, metavar="DAYS",
                            help="有效天数（默认长期有效）")
        parser.add_argument("--name", default="命令行创建", help="令牌名称（用途），显示在令牌列表中")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"没有用户名为 {options['username']!r} 的用户。")
        try:
            token, secret = api_token_create(user=user, name=options["name"], expires_days=options["expires"],
                                             actor=system_actor())
        except DomainError as error:
            raise CommandError(str(error.message)) from error
        expires = f"有效期至 {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "长期有效"
        self.stderr.write(f"已为 {user.username} 创建令牌“{token.name}”（{expires}）。请立即保存，令牌不会再次显示。")
        self.stdout.write(secret)
