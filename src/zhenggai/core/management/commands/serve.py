from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "启动网站（gunicorn）。默认监听 127.0.0.1:8000；生产环境必须设置 ZHENGGAI_SECRET_KEY。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("ZHENGGAI_BIND", "127.0.0.1:8000"),
                            help="监听地址，默认 127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=int(os.environ.get("ZHENGGAI_WEB_WORKERS", "3")),
                            help="进程数，默认 3")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn import config as gunicorn_config

        from zhenggai.config.settings import refuse_insecure_production

        refuse_insecure_production()
        self.stdout.write(f"整改 正在 http://{options['bind']} 提供服务（按 Ctrl-C 停止）")
        sys.stdout.flush()
        argv = [
            sys.executable, "-m", "gunicorn", "zhenggai.config.wsgi:application",
            "--bind", options["bind"], "--workers", str(options["workers"]),
            "--access-logfile", "-", "--timeout", "120",
        ]
        if settings.DEBUG:
            argv.append("--reload")
        if hasattr(gunicorn_config, "ControlSocketDisable"):
            # gunicorn ≥ 25 opens a control socket at one fixed path in the home folder: a second app server
            # on the machine would take it over (and remove it when stopping). Nothing here uses it.
            argv.append("--no-control-socket")
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn
