"""The upload form: category, description and the public flag. The files themselves come from
`request.FILES.getlist("files")` (a desktop picker and a phone-camera input share that name) and are
checked by the service, so that every refused file is named in one answer."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import EvidenceCategory

ACCEPT = "image/*,video/*,application/pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"


class EvidenceUploadForm(forms.Form):
    category = forms.ChoiceField(label=_("类别"), choices=EvidenceCategory.choices,
                                 widget=forms.Select(attrs={"class": "form-select"}))
    description = forms.CharField(label=_("说明"), max_length=255, required=False,
                                  widget=forms.TextInput(attrs={"class": "form-control"}))
    is_public = forms.BooleanField(label=_("可在公众门户公开（仅限整改前后照片）"), required=False)
