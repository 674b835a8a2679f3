"""Domain errors: raised by services, rendered by views and the API in the user's language."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the action. `message` is shown to the user as is."""

    code = "domain_error"

    def __init__(self, message: object = None, *, field: str | None = None) -> None:
        self.message = message if message is not None else _("操作未能完成。")
        self.field = field
        super().__init__(str(self.message))


class PermissionDenied(DomainError):
    code = "permission_denied"

    def __init__(self, message: object = None, *, field: str | None = None) -> None:
        super().__init__(message if message is not None else _("您没有权限执行此操作。"), field=field)


class NotFound(DomainError):
    """Hidden and missing objects raise the same error."""

    code = "not_found"

    def __init__(self, message: object = None, *, field: str | None = None) -> None:
        super().__init__(message if message is not None else _("对象不存在或您无权查看。"), field=field)


class ValidationFailed(DomainError):
    code = "validation_failed"


class Conflict(DomainError):
    """Someone else changed the object since the user read it (optimistic version check)."""

    code = "version_conflict"


class StorageFull(DomainError):
    """The file storage has no room left (disk full or quota reached): nothing was stored. The API answers
    507 Insufficient Storage; pages show the message on the form."""

    code = "storage_full"

    def __init__(self, message: object = None, *, field: str | None = None) -> None:
        super().__init__(message if message is not None else _(
            "服务器存储空间已满，文件没有保存，本次提交的内容也都没有保存。请稍后再试，或联系系统管理员清理空间。"
        ), field=field)
