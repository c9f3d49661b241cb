"""Admin: "API kulcs generálás" (the key is shown once), rotation, revocation, and the
read-only audit log browser. Franchise staff see their own tenant's keys and calls only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from unfold.admin import ModelAdmin
from unfold.decorators import action, display

from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin, staff_user

from .keys import IssuedKey, generate_key_material, revoke_api_key, rotate_api_key
from .models import ApiCallLog, ApiKey, default_expiry
from .scopes import Scope

ISSUED_TEMPLATE = "bot_api/admin/keys_issued.html"


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label="Jogosultságok",
        choices=Scope.choices,
        initial=[Scope.READ.value],
        widget=forms.CheckboxSelectMultiple,
        help_text="Az időpontfoglaláshoz a support:write is kell.",
    )

    class Meta:
        model = ApiKey
        fields = ("tenant", "name", "scopes", "expires_at", "rate_limit_per_minute")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["expires_at"].initial = default_expiry
        self.fields["expires_at"].help_text = "Alapértelmezés: 90 nap múlva."

    def clean_expires_at(self) -> datetime:
        expires_at = self.cleaned_data["expires_at"]
        if expires_at <= timezone.now():
            raise forms.ValidationError("A lejárat a jövőben legyen.")
        return expires_at


def render_issued(request: HttpRequest, admin_site: admin.AdminSite, issued: list[IssuedKey],
                  title: str) -> HttpResponse:
    """The only page that ever shows the key text. Never cached, never stored."""
    context = {
        **admin_site.each_context(request),
        "title": title,
        "issued": issued,
        "opts": ApiKey._meta,
    }
    response = TemplateResponse(request, ISSUED_TEMPLATE, context)
    add_never_cache_headers(response)
    return response


@admin.register(ApiKey)
class ApiKeyAdmin(TenantScopedAdminMixin[ApiKey], ModelAdmin):
    list_display = (
        "name", "tenant", "display_prefix", "scope_list", "state", "expires_at",
        "last_used_at", "created_by",
    )
    list_filter = ("tenant",)
    search_fields = ("name", "prefix")
    actions = ("rotate_selected", "revoke_selected")
    readonly_fields = (
        "tenant", "display_prefix", "scopes", "created_by", "created_at", "expires_at",
        "revoked_at", "last_used_at", "rotated_from",
    )

    # --- generating a key ----------------------------------------------------------------

    def get_form(self, request: HttpRequest, obj: ApiKey | None = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(
        self, request: HttpRequest, obj: ApiKey | None = None
    ) -> Sequence[str]:
        return () if obj is None else self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> Sequence[str]:
        if obj is None:
            return ApiKeyCreateForm.Meta.fields
        return ("name", "rate_limit_per_minute", *self.readonly_fields)

    def add_view(self, request: HttpRequest, form_url: str = "",
                 extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "title": "API kulcs generálás"}
        return super().add_view(request, form_url, extra_context)

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: ModelForm[ApiKey], change: bool
    ) -> None:
        if not change:
            material = generate_key_material()
            obj.prefix = material.prefix
            obj.key_hash = material.key_hash
            obj.created_by = staff_user(request)
            # Held on the request only, for response_add to show once (attr-defined: an
            # attribute of our own on the request).
            request._bot_api_raw_key = material.raw_key  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def response_add(self, request: HttpRequest, obj: ApiKey,
                     post_url_continue: str | None = None) -> HttpResponse:
        raw_key = getattr(request, "_bot_api_raw_key", None)
        if raw_key is None:
            return super().response_add(request, obj, post_url_continue)
        return render_issued(request, self.admin_site, [IssuedKey(obj, raw_key)],
                             "Az új API kulcs")

    # --- rotation and revocation -------------------------------------------------------

    @action(description="Kulcs forgatása (új kulcs; a régi még 7 napig él)")
    def rotate_selected(
        self, request: HttpRequest, queryset: QuerySet[ApiKey]
    ) -> HttpResponse | None:
        issued: list[IssuedKey] = []
        for api_key in queryset:
            try:
                issued.append(rotate_api_key(api_key, created_by=staff_user(request)))
            except ValueError:
                self.message_user(
                    request,
                    f"{api_key}: visszavont vagy már forgatott kulcs nem forgatható.",
                    messages.WARNING,
                )
        if not issued:
            return None
        return render_issued(request, self.admin_site, issued, "Forgatott API kulcsok")

    @action(description="Visszavonás (azonnal megszűnik)")
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            revoke_api_key(api_key)
            count += 1
        self.message_user(request, f"{count} API kulcs visszavonva.", messages.SUCCESS)

    # --- list columns ----------------------------------------------------------------------

    @display(description="Kulcs")
    def display_prefix(self, obj: ApiKey) -> str:
        return obj.display_prefix

    @display(description="Jogosultságok")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @display(description="Állapot")
    def state(self, obj: ApiKey) -> str:
        if obj.revoked_at is not None:
            return "Visszavonva"
        if obj.expires_at <= timezone.now():
            return "Lejárt"
        return "Érvényes"

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        # Keys are revoked, not deleted: the audit log keeps pointing at them.
        return False


@admin.register(ApiCallLog)
class ApiCallLogAdmin(TenantScopedAdminMixin[ApiCallLog], ModelAdmin):
    list_display = (
        "created_at", "tenant", "key_prefix", "method", "endpoint", "object_type",
        "object_ref", "partner_id", "status_code", "error_code", "duration_ms",
    )
    list_filter = ("status_code", "endpoint", "tenant", "method")
    search_fields = ("object_ref", "request_id", "key_prefix")
    date_hierarchy = "created_at"
    list_select_related = ("tenant",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiCallLog | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiCallLog | None = None) -> bool:
        return False
