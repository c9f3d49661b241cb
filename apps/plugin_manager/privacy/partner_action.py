"""The partner list's erasure action, as a privacy request instead of the core's direct
anonymisation: tombstones, a step per connected system and receipts, like any request.

Registered through the core's admin seam (``kgc_erp.admin_extensions``); it replaces the
core's ``erase_selected``, which stays for installations without this app.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html

from kgc_erp.admin_extensions import register_action
from kgc_erp.partners.models import Partner

from .models import PrivacyRequest
from .opening import AlreadyOpen, open_request

PERMISSION = "privacy.manage_privacyrequest"


def open_erasure_requests(modeladmin: admin.ModelAdmin[Any], request: Any,
                          queryset: QuerySet[Partner]) -> None:
    if not request.user.has_perm(PERMISSION):
        modeladmin.message_user(request, "Ehhez a művelethez nincs jogosultsága.",
                                messages.ERROR)
        return
    opened: list[PrivacyRequest] = []
    for partner in queryset:
        try:
            opened.append(open_request(
                partner, PrivacyRequest.Kind.ERASURE,
                requested_by=f"{request.user.get_username()} (admin)",
                channel=PrivacyRequest.Channel.IN_PERSON, user=request.user,
            ))
        except AlreadyOpen as exc:
            modeladmin.message_user(
                request, f"{partner}: már fut egy törlési kérelem (#{exc.request.pk}).",
                messages.WARNING)
    if opened:
        listing = reverse("admin:privacy_privacyrequest_changelist")
        modeladmin.message_user(request, format_html(
            "{} törlési kérelem megnyitva; a rendszerenkénti igazolások a "
            "<a href=\"{}\">kérelmek között</a> láthatók.", len(opened), listing),
            messages.SUCCESS)


open_erasure_requests.short_description = (  # type: ignore[attr-defined]
    "Személyes adatok törlése minden rendszerből (GDPR-kérelem igazolásokkal)"
)
open_erasure_requests.required_permission = PERMISSION  # type: ignore[attr-defined]
open_erasure_requests.replaces = ("erase_selected",)  # type: ignore[attr-defined]


def register() -> None:
    register_action(Partner, "privacy_open_erasure", open_erasure_requests)


__all__ = ("open_erasure_requests", "register")
