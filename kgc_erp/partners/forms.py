"""The partner admin form: the explicit confirmation of a shared tax number."""

from __future__ import annotations

from typing import Any

from django import forms
from unfold.widgets import UnfoldBooleanWidget

from . import contact_guards
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

    # Shown only while a registered guard refuses the phone or e-mail (an erased person's):
    # recording the person again is then a conscious, recorded decision.
    confirm_contact_guard = forms.BooleanField(
        label=contact_guards.CONFIRM_LABEL, required=False, widget=UnfoldBooleanWidget,
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
        self._check_contact_guards(cleaned)
        return cleaned

    def _check_contact_guards(self, cleaned: dict[str, Any]) -> None:
        """Refuse a guarded phone / e-mail unless confirmed; only when it is new here."""
        self.contact_guard_release: tuple[int, str, str] | None = None
        tenant = cleaned.get("tenant") or getattr(self.instance, "tenant", None)
        phone = str(cleaned.get("phone") or "")
        email = str(cleaned.get("email") or "")
        if tenant is None or not (phone or email):
            return
        if self.instance.pk is not None:
            phone = "" if phone == self.instance.phone else phone
            email = "" if email.lower() == (self.instance.email or "").lower() else email
        problems = contact_guards.refusals(tenant.pk, phone, email)
        if not problems:
            return
        if cleaned.get(contact_guards.CONFIRM_FIELD):
            self.contact_guard_release = (tenant.pk, phone, email)
            return
        for problem in problems:
            self.add_error(None, problem)
