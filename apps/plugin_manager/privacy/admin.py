"""Admin of data-subject requests and tombstones (Hungarian, permission-checked).

Everything here needs ``privacy.manage_privacyrequest``; franchise staff see their own
tenant's rows only. A request is opened through the add form (which runs ``open_request``),
never edited afterwards; its steps show the receipts.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline

from kgc_erp.partners.models import Partner
from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin
from kgc_erp.tenants.scoping import tenant_of_user

from .export_zip import open_zip
from .models import PrivacyRequest, PrivacyStep, Tombstone
from .opening import AlreadyOpen, open_request
from .queueing import queue_step
from .retention import retention_rules
from .tombstones import lift

PERMISSION = "privacy.manage_privacyrequest"
WARN_DAYS = 5


class _ManagePermissionMixin:
    """Every view, add and change needs the one privacy permission."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(PERMISSION))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm(PERMISSION))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm(PERMISSION))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PrivacyStepInline(TabularInline):
    model = PrivacyStep
    extra = 0
    can_delete = False
    fields = ("system", "status", "action", "evidence", "external_id", "verified_at",
              "attempts", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm(PERMISSION))


class PrivacyRequestAddForm(forms.ModelForm):
    class Meta:
        model = PrivacyRequest
        fields = ("partner", "kind", "requested_by", "channel", "received_at")

    def clean_partner(self) -> Partner:
        partner = self.cleaned_data.get("partner")
        if partner is None:
            raise forms.ValidationError("Válassza ki, kiről szól a kérelem.")
        assert isinstance(partner, Partner)
        return partner


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(_ManagePermissionMixin, TenantScopedAdminMixin[PrivacyRequest],
                          ModelAdmin):
    list_display = ("__str__", "tenant", "partner", "requested_by", "channel", "received_at",
                    "deadline_with_days", "status", "export_link")
    list_filter = ("status", "kind", "tenant")
    inlines = (PrivacyStepInline,)
    actions = ("retry_failed_steps",)
    readonly_fields = ("tenant", "partner", "kind", "requested_by", "channel", "received_at",
                       "deadline", "status", "created_by", "created_at", "completed_at",
                       "export_expires_at")
    autocomplete_fields = ("partner",)
    change_list_template = "admin/privacy/privacyrequest/change_list.html"

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False,
                 **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = PrivacyRequestAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return PrivacyRequestAddForm.Meta.fields
        return self.readonly_fields

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: PrivacyRequest, form: Any,
                   change: bool) -> None:
        # The add form only collects the answers; open_request creates the row and steps.
        assert obj.partner is not None  # required by the add form
        try:
            opened = open_request(obj.partner, obj.kind, requested_by=obj.requested_by,
                                  channel=obj.channel, received_at=obj.received_at,
                                  user=request.user)  # type: ignore[arg-type]
        except AlreadyOpen as exc:
            opened = exc.request
            self.message_user(request, f"Erre a partnerre már fut törlési kérelem "
                                       f"(#{opened.pk}).", messages.WARNING)
        obj.pk = opened.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any,
                     change: bool) -> None:
        return None

    @admin.display(description="határidő", ordering="deadline")
    def deadline_with_days(self, obj: PrivacyRequest) -> str:
        days = obj.days_left
        text = obj.deadline.strftime("%Y.%m.%d.") if obj.deadline else ""
        if days is None:
            return text
        colour = "red" if days <= WARN_DAYS else "inherit"
        return format_html('{} <span style="color:{}">({} nap van hátra)</span>', text,
                           colour, days)

    @admin.display(description="export")
    def export_link(self, obj: PrivacyRequest) -> str:
        if not obj.export_available:
            return ""
        url = reverse("admin:privacy_privacyrequest_export", args=[obj.pk])
        return format_html('<a href="{}">ZIP letöltése</a>', url)

    @admin.action(description="Hibás lépések újrapróbálása", permissions=["manage"])
    def retry_failed_steps(self, request: HttpRequest,
                           queryset: QuerySet[PrivacyRequest]) -> None:
        from .completion import complete_if_finished
        from .execution import execute_step

        retried = 0
        for step in PrivacyStep.objects.filter(request__in=queryset,
                                               status=PrivacyStep.Status.FAILED
                                               ).select_related("request"):
            with transaction.atomic():
                if step.plugin_id:
                    queue_step(step)
                else:
                    # A failure is recorded on the step and shown in the list.
                    with contextlib.suppress(Exception):
                        execute_step(step, {})
            complete_if_finished(step.request_id)
            retried += 1
        self.message_user(request, f"{retried} lépés újra elindítva.", messages.SUCCESS)

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(PERMISSION))

    def get_urls(self) -> list[URLPattern]:
        own = [
            path("<int:pk>/export/", self.admin_site.admin_view(self.export_view),
                 name="privacy_privacyrequest_export"),
            path("megorzes/", self.admin_site.admin_view(self.retention_view),
                 name="privacy_retention"),
        ]
        return own + super().get_urls()

    def export_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        if not request.user.has_perm(PERMISSION):
            raise Http404
        privacy_request = self.get_queryset(request).filter(pk=pk).first()
        if privacy_request is None or not privacy_request.export_available:
            raise Http404("Az export nem érhető el (lejárt vagy nem készült).")
        assert privacy_request.export_file is not None
        response = HttpResponse(open_zip(privacy_request.export_file),
                                content_type="application/zip")
        response["Content-Disposition"] = (
            f'attachment; filename="adatkikeres-{privacy_request.pk}.zip"')
        return response

    def retention_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm(PERMISSION):
            raise Http404
        context = {**self.admin_site.each_context(request), "title": "Adatmegőrzési idők",
                   "rules": retention_rules()}
        return TemplateResponse(request, "admin/privacy/retention.html", context)

    def changelist_view(self, request: HttpRequest,
                        extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        extra = {**(extra_context or {}), "retention_rules": retention_rules(),
                 "retention_url": reverse("admin:privacy_retention")}
        return super().changelist_view(request, extra)


class LiftForm(forms.Form):
    reason = forms.CharField(label="Feloldás oka", max_length=300)


@admin.register(Tombstone)
class TombstoneAdmin(_ManagePermissionMixin, TenantScopedAdminMixin[Tombstone], ModelAdmin):
    list_display = ("__str__", "tenant", "kind", "created_at", "request", "lifted_at",
                    "lifted_by", "lift_reason")
    list_filter = ("kind", "tenant")
    readonly_fields = ("tenant", "kind", "digest", "created_at", "request", "lifted_at",
                       "lifted_by", "lift_reason")
    actions = ("lift_selected",)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Tombstone]:
        queryset = super().get_queryset(request)
        tenant = tenant_of_user(request.user)
        return queryset if tenant is None else queryset.filter(tenant=tenant)

    @admin.action(description="Kijelölt törlési jelölések feloldása", permissions=["manage"])
    def lift_selected(self, request: HttpRequest, queryset: QuerySet[Tombstone]) -> None:
        lifted = lift(queryset, user=request.user,
                      reason="Feloldva a törlési jelölések listájából")
        self.message_user(request, f"{lifted} törlési jelölés feloldva.", messages.SUCCESS)

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(PERMISSION))
