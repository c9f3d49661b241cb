"""The partner admin form: the explicit confirmation of a shared tax number."""

from __future__ import annotations

from typing import Any

from django import forms
from unfold.widgets import UnfoldBooleanWidget

from .models import Partner

CONFIRM_DUPLICATE_FIELD = "confirm_duplicate_tax_number"


class PartnerAdminForm(forms.ModelForm):
    # Several branch contacts of one company may share its tax number, but only when the
    # clerk says so; the admin shows this box only while such a duplicate exists.
    confirm_duplicate_tax_number = forms.BooleanField(
        label="Tudom, hogy ez az adószám már szerepel, mégis mentem",
        required=False,
        widget=UnfoldBooleanWidget,
    )

    class Meta:
        model = Partner
        # The admin narrows these to its fieldsets.
        fields = (
            "tenant", "name", "phone", "email", "is_business", "company", "tax_number",
            "payment_status", "marketing_consent", "is_active",
        )

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean() or {}
        # Read by Partner.clean(), which runs after this (ModelForm._post_clean).
        self.instance.allow_duplicate_tax_number = bool(cleaned.get(CONFIRM_DUPLICATE_FIELD))
        return cleaned
