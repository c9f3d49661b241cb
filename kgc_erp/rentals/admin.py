from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from unfold.admin import ModelAdmin

from kgc_erp.admin_transitions import transition_action
from kgc_erp.hungarian.amounts import amount_column
from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin

from .models import Machine, Rental
from .services import mark_rental_late, return_rental, start_rental


@admin.register(Machine)
class MachineAdmin(TenantScopedAdminMixin[Machine], ModelAdmin):
    list_display = ("name", "type", "serial", amount_column("daily_rate", "napi díj"), "tenant")
    list_filter = ("type", "tenant")
    search_fields = ("name", "serial", "type")


@admin.register(Rental)
class RentalAdmin(TenantScopedAdminMixin[Rental], ModelAdmin):
    list_display = (
        "number",
        "partner",
        "machine",
        "start_date",
        "end_date",
        "status",
        amount_column("total_cost", "végösszeg"),
        "tenant",
    )
    list_filter = ("status", "tenant", "start_date")
    search_fields = ("number", "partner__name", "partner__phone", "machine__serial")
    autocomplete_fields = ("partner", "machine")
    list_select_related = ("partner", "machine", "tenant")
    date_hierarchy = "start_date"
    actions = (
        transition_action(return_rental, "Visszavétel (bérlés lezárása)", "visszavéve"),
        transition_action(mark_rental_late, "Késésbe állítás", "késésbe állítva"),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Rental | None = None
    ) -> tuple[str, ...]:
        system = ("number", "tenant", "status", "returned_at", "total_cost")
        if obj is None:
            return system
        # A started rental's parties and dates are part of the contract.
        return (*system, "partner", "machine", "start_date")

    def save_model(
        self, request: HttpRequest, obj: Rental, form: ModelForm[Rental], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            start_rental(obj)
