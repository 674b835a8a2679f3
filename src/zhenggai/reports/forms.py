from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin
from zhenggai.inspections.models import Plan

from .tables import SUPPORTED_EXTENSIONS


class TaskImportForm(StyledFormMixin, forms.Form):
    plan = forms.ModelChoiceField(queryset=Plan.objects.none(), label=_("导入到整改方案"))
    file = forms.FileField(
        label=_("调度表文件"),
        help_text=_("Excel（.xlsx）或 CSV（UTF-8、GB18030 编码）；表头需包含 序号、存在问题、整改时限、整改措施、责任单位。"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(SUPPORTED_EXTENSIONS)}),
    )
    create_units = forms.BooleanField(
        label=_("自动新建表中系统里没有的单位"), required=False,
        help_text=_("不勾选时，表中有未登记的单位就不导入，并列出这些单位。"),
    )

    def __init__(self, *args: Any, plans: QuerySet[Plan], may_create_units: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = plans  # type: ignore[attr-defined]
        if not may_create_units:
            del self.fields["create_units"]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUPPORTED_EXTENSIONS:
            raise forms.ValidationError(_("请上传 .xlsx 或 .csv 文件。"))
        if upload.size > settings.ZHENGGAI_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大（上限 %(mb)s MB）。") % {"mb": settings.ZHENGGAI_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("文件是空的。"))
        return upload
