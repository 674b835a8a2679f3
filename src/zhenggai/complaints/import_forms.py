from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin
from zhenggai.inspections.models import Inspection

from .complaint_import import IMPORT_EXTENSIONS


class DateInput(forms.DateInput):
    input_type = "date"


class ComplaintImportForm(StyledFormMixin, forms.Form):
    inspection = forms.ModelChoiceField(queryset=Inspection.objects.none(), label=_("导入到督察"))
    batch = forms.IntegerField(label=_("交办批次（第几批）"), min_value=1, max_value=9999)
    handed_over = forms.DateField(label=_("交办日期"), widget=DateInput(),
                                  help_text=_("反馈期限为交办日期后 10 天。"))
    file = forms.FileField(
        label=_("信访件表格"),
        help_text=_("Excel（.xlsx）、CSV（UTF-8、GB18030 编码）或保存的网页（.html）；表头需包含 受理编号、"
                    "交办问题基本情况、行政区域、污染类型（或问题类型）。"),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(IMPORT_EXTENSIONS)}),
    )

    def __init__(self, *args: Any, inspections: QuerySet[Inspection], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspection"].queryset = inspections  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in IMPORT_EXTENSIONS:
            raise forms.ValidationError(_("请上传 .xlsx、.csv 或 .html 文件。"))
        if upload.size > settings.ZHENGGAI_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("文件过大（上限 %(mb)s MB）。") % {"mb": settings.ZHENGGAI_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("文件是空的。"))
        return upload
