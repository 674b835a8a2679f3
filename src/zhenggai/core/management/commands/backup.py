from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS
from django.utils.translation import gettext as _

from zhenggai.core.backup import BackupError, Progress, backup_create, storage_description


def tqdm_progress(desc: str, total: int, unit: str) -> Progress:
    """A progress bar on a terminal; nothing when the output goes to a file or a log."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=not sys.stderr.isatty(), leave=False)


class Command(BaseCommand):
    help = (
        "把整个系统备份到一个新目录 DIR：数据库的全部业务数据（与数据库种类无关的格式，可恢复到 SQLite 或 "
        "PostgreSQL）和文件存储中的全部文件（佐证材料、缩略图、调度通报、导入文件），并写出清单 manifest.json"
        "（行数和每个文件的 SHA-256）。系统运行中也可以备份：所有数据取自同一时刻。"
        "不备份后台任务队列、登录会话和登录失败记录。用 zhenggai restore DIR 恢复。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="备份写到这个目录：必须不存在或为空")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="备份哪个数据库连接（默认 default，即 DATABASE_URL）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            result = backup_create(directory, using=options["database"], progress=tqdm_progress)
        except BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        rows = sum(result.tables.values())
        self.stdout.write(
            f"备份完成：{directory}，{len(result.tables)} 张表共 {rows} 行，"
            f"{result.files} 个文件共 {result.bytes / 1024 / 1024:.1f} MB。"
        )
        self.stdout.write(_("文件取自%(where)s，已全部复制到备份目录。") % {"where": storage_description(default_storage)})
        if getattr(default_storage, "bucket_name", None):
            self.stdout.write(_("文件较多时，请同时开启对象存储的版本控制或跨区域复制来保护存储桶（见运维手册）。"))
        if result.missing_files:
            self.stderr.write(
                f"注意：数据库引用的 {len(result.missing_files)} 个文件在文件存储中不存在，未能备份"
                f"（已记入清单 missing_files），如：{result.missing_files[0]}"
            )
