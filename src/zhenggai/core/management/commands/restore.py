from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from zhenggai.core.backup import BackupError
from zhenggai.core.management.commands.backup import tqdm_progress
from zhenggai.core.restore import restore_run


class Command(BaseCommand):
    help = (
        "从 zhenggai backup 生成的备份目录 DIR 恢复数据库和文件，用于新装的系统（空数据库、空文件目录）。"
        "先校验备份中每个文件的 SHA-256，再建表（迁移到备份时的版本）、复制文件、导入数据，"
        "最后核对每张表的行数和每个文件的 SHA-256；任何一处不符都会指出并以退出码 1 结束。"
        "目标数据库已有业务数据时拒绝恢复，除非加 --force。恢复后请运行 zhenggai migrate 和 zhenggai verify-audit。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", metavar="DIR", help="备份目录（含 manifest.json）")
        parser.add_argument(
            "--force", action="store_true",
            help="目标数据库已有数据时也恢复：先清空全部表（含登录会话和后台任务队列），同名文件被覆盖",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="恢复到哪个数据库连接（默认 default，即 DATABASE_URL）"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        directory = Path(options["directory"])
        try:
            result = restore_run(
                directory, using=options["database"], force=options["force"], progress=tqdm_progress
            )
        except BackupError as error:
            raise CommandError(str(error), returncode=1) from error
        manifest = result.manifest
        self.stdout.write(
            f"恢复完成：{len(result.tables)} 张表共 {sum(result.tables.values())} 行，{result.files} 个文件，"
            f"行数和文件 SHA-256 均与备份一致（备份于 {manifest['created_at']}，"
            f"来自 {manifest['database_vendor']}，程序版本 {manifest['app_version']}）。"
        )
        if manifest.get("missing_files"):
            self.stderr.write(
                f"注意：备份时已缺失的 {len(manifest['missing_files'])} 个文件仍然缺失，如：{manifest['missing_files'][0]}"
            )
