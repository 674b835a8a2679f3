from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from zhenggai.core.forms import StyledFormMixin

from .models import Organization, Role, User


class OrganizationForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "short_name", "kind", "parent", "region", "sort_order", "is_active"]

    def __init__(self, *args: Any, organizations: Any = None, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["parent"].queryset = organizations  # type: ignore[attr-defined]
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class UserForm(StyledFormMixin, forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=True
    )
    password = forms.CharField(
        label=_("新密码"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则不修改。至少 10 位，不能全是数字。"),
    )

    class Meta:
        model = User
        fields = ["username", "last_name", "first_name", "organization", "title", "phone", "email", "is_active"]

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["organization"].required = True
        if self.instance.pk:
            self.initial["roles"] = sorted(self.instance.role_codes)

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if password:
            password_validation.validate_password(password, self.instance)
        return password
