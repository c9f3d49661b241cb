from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from kgc_erp.admin_transitions import transition_action
from kgc_erp.hungarian.amounts import amount_column
from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin

from .models import Order, OrderLine, Product, StockLevel
from .services import (
    mark_order_arrived,
    mark_order_delivered,
    mark_order_ordered,
    place_order,
    recalculate_total,
)


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ("sku", "name", amount_column("price", "ár"))
    search_fields = ("sku", "name")


@admin.register(StockLevel)
class StockLevelAdmin(TenantScopedAdminMixin[StockLevel], ModelAdmin):
    list_display = ("product", "location", "quantity", "tenant")
    list_filter = ("location", "tenant")
    search_fields = ("product__sku", "product__name", "location")
    autocomplete_fields = ("product",)


class OrderLineInline(TabularInline):
    model = OrderLine
    extra = 1
    autocomplete_fields = ("product",)


@admin.register(Order)
class OrderAdmin(TenantScopedAdminMixin[Order], ModelAdmin):
    list_display = (
        "number",
        "partner",
        "order_date",
        "status",
        "estimated_arrival",
        amount_column("total_amount", "végösszeg"),
        "tenant",
    )
    list_filter = ("status", "tenant")
    search_fields = ("number", "partner__name", "partner__phone")
    autocomplete_fields = ("partner",)
    list_select_related = ("partner", "tenant")
    inlines = (OrderLineInline,)
    actions = (
        transition_action(mark_order_ordered, "Megrendelve a beszállítótól", "megrendelve"),
        transition_action(mark_order_arrived, "Beérkezett", "beérkezett"),
        transition_action(mark_order_delivered, "Átadva az ügyfélnek", "átadva"),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Order | None = None
    ) -> tuple[str, ...]:
        return ("number", "tenant", "status", "arrived_at", "delivered_at", "total_amount")

    def save_model(
        self, request: HttpRequest, obj: Order, form: ModelForm[Order], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            place_order(obj)

    def save_related(
        self, request: HttpRequest, form: ModelForm[Order], formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        recalculate_total(form.instance)
