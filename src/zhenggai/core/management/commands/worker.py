from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "启动后台任务进程（django-q2）：预警计算、调度提醒、定时任务。默认用数据库做队列；设置 REDIS_URL 时用 Redis。"

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("qcluster")
