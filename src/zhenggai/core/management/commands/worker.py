from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from zhenggai.core.schedules import register_all


class Command(BaseCommand):
    help = (
        "启动后台任务进程（django-q2）：每日 08:15 预警与督办升级、08:20 信访件答复提醒、每月调度、公示期满提醒、"
        "每日消息汇总、每月 1 日 07:30 生成上月调度通报（PDF/DOCX），以及页面上申请生成的调度通报。"
        "默认用数据库做队列；设置 REDIS_URL 时用 Redis。启动时登记（或更新）这些定时任务。"
    )

    def handle(self, *args: Any, **options: Any) -> None:
        register_all()
        call_command("qcluster")
