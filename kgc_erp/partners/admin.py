from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from kgc_erp.admin_extensions import ExtensibleAdminMixin
from kgc_erp.hungarian.amounts import amount_column
from kgc_erp.hungarian.collation import hungarian_order
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin
from kgc_erp.tenants.scoping import tenant_of_user

from . import contact_guards
from .forms import CONFIRM_DUPLICATE_FIELD, PartnerAdminForm
from .models import Partner
from .phone import InvalidPhoneNumber, looks_like_phone, normalize_phone
from .services import erase_partner
from .tax_number import InvalidTaxNumber, normalize_tax_number


class _ReadOnlyHistoryInline(TabularInline):
    """A partner's history is shown here; it is created and changed on its own pages."""

    extra = 0
    show_change_link = True
    can_delete = False
    max_num = 0

    def get_readonly_fields(self, request: HttpRequest, obj: Partner | None = None) -> list[str]:
        return list(self.fields or ())


class RentalInline(_ReadOnlyHistoryInline):
    model = Rental
    fields = ("number", "machine", "start_date", "end_date", "status", "total_cost_huf")
    total_cost_huf = staticmethod(amount_column("total_cost", "végösszeg"))


class WorklogInline(_ReadOnlyHistoryInline):
    model = Worklog
    fields = ("number", "machine_type", "status", "quote_amount_huf", "estimated_completion")
    quote_amount_huf = staticmethod(amount_column("quote_amount", "árajánlat"))


class OrderInline(_ReadOnlyHistoryInline):
    model = Order
    fields = ("number", "order_date", "status", "estimated_arrival", "total_amount_huf")
    total_amount_huf = staticmethod(amount_column("total_amount", "végösszeg"))


@admin.register(Partner)
class PartnerAdmin(ExtensibleAdminMixin, TenantScopedAdminMixin[Partner], ModelAdmin):
    # Panels contributed by optional apps (e.g. where the partner is synced), above the form.
    change_form_outer_before_template = "admin/kgc/extension_panels.html"
    form = PartnerAdminForm
    list_display = (
        "partner_name", "phone", "email", "company", "payment_status", "tenant", "is_active"
    )
    list_filter = ("payment_status", "is_business", "is_active", "tenant")
    search_fields = ("name", "email", "company")
    search_help_text = "Keresés név, telefonszám vagy e-mail szerint."
    # The exact COUNT(*) of a filtered 100 000-row table is wasted work on every search.
    show_full_result_count = False
    list_per_page = 50
    inlines = (RentalInline, WorklogInline, OrderInline)
    readonly_fields = ("created_at", "updated_at")
    actions = ("erase_selected",)
    fieldsets = (
        (None, {"fields": ("tenant", "name", "phone", "email")}),
        ("Cég", {"fields": ("is_business", "company", "tax_number")}),
        ("Státusz", {"fields": ("payment_status", "marketing_consent", "is_active")}),
        ("Rendszer", {"fields": ("created_at", "updated_at")}),
    )

    # Sorting by the column header keeps the Hungarian alphabetical order of the default.
    @admin.display(description="név", ordering=hungarian_order("name"))
    def partner_name(self, obj: Partner) -> str:
        return obj.name

    def get_fieldsets(
        self, request: HttpRequest, obj: Partner | None = None
    ) -> list[tuple[str | None, dict[str, Any]]]:
        fieldsets = [(name, dict(options)) for name, options in super().get_fieldsets(request, obj)]
        if self._contact_guard_refuses(request, obj):
            for _name, options in fieldsets:
                if "email" in options["fields"]:
                    options["fields"] = (*options["fields"], contact_guards.CONFIRM_FIELD)
        if self._posted_tax_number_is_duplicate(request, obj):
            for _name, options in fieldsets:
                if "tax_number" in options["fields"]:
                    options["fields"] = (*options["fields"], CONFIRM_DUPLICATE_FIELD)
        return fieldsets

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        release = getattr(form, "contact_guard_release", None)
        if release is not None:
            # The clerk confirmed recording an erased person again: recorded by the guard.
            tenant_id, phone, email = release
            contact_guards.release_all(tenant_id, phone, email, user=request.user)

    def _contact_guard_refuses(self, request: HttpRequest, obj: Partner | None) -> bool:
        """A registered guard refuses the posted phone / e-mail: show the confirmation."""
        if request.method != "POST":
            return False
        user_tenant = tenant_of_user(request.user)
        tenant_id = str(
            user_tenant.pk
            if user_tenant is not None
            else request.POST.get("tenant") or (obj.tenant_id if obj else "")
        )
        if not tenant_id.isdigit():
            return False
        phone = request.POST.get("phone", "")
        email = request.POST.get("email", "")
        return bool(contact_guards.refusals(int(tenant_id), phone, email))

    def _posted_tax_number_is_duplicate(self, request: HttpRequest, obj: Partner | None) -> bool:
        """The submitted tax number already belongs to another partner of the tenant.

        Decided before the form is built (the admin fixes the fields first), from the
        same model method the validation uses.
        """
        if request.method != "POST" or not request.POST.get("tax_number"):
            return False
        try:
            tax_number = normalize_tax_number(request.POST["tax_number"])
        except InvalidTaxNumber:
            return False
        user_tenant = tenant_of_user(request.user)
        tenant_id = str(
            user_tenant.pk
            if user_tenant is not None
            else request.POST.get("tenant") or (obj.tenant_id if obj else "")
        )
        if not tenant_id.isdigit():
            return False
        probe = Partner(tenant_id=int(tenant_id), tax_number=tax_number)
        probe.pk = obj.pk if obj else None
        return probe.tax_number_duplicate() is not None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Partner], search_term: str
    ) -> tuple[QuerySet[Partner], bool]:
        term = search_term.strip()
        if term and looks_like_phone(term):
            try:
                # Any notation (06 30 ..., +36 30 ...) hits the phone index exactly.
                return queryset.filter(phone=normalize_phone(term)), False
            except InvalidPhoneNumber:
                # A partial number: match the digits inside the stored E.164 value.
                digits = "".join(ch for ch in term if ch.isdigit()).lstrip("0")
                return queryset.filter(phone__contains=digits), False
        return super().get_search_results(request, queryset, term)

    @admin.action(description="Személyes adatok végleges törlése (GDPR-kérésre)")
    def erase_selected(self, request: HttpRequest, queryset: QuerySet[Partner]) -> None:
        erased = 0
        for partner in queryset:
            erase_partner(partner)
            erased += 1
        self.message_user(request, f"{erased} partner személyes adatai törölve.", messages.SUCCESS)
