"""Stock check: "do you have it in stock in Győr?"."""

from __future__ import annotations

import unicodedata

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from kgc_erp.sales.models import Product, StockLevel

from ..errors import NotFound
from ..schema import RETRY_AFTER, responses
from ..serializers import InventoryQuerySerializer, InventoryResponseSerializer
from .base import BotApiView


def fold(text: str) -> str:
    """Case- and accent-insensitive form: customers type "gyor" for "Győr"."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


class InventoryCheckView(BotApiView):
    audit_endpoint = "inventory.check"
    query_serializer_class = InventoryQuerySerializer
    logged_query_params = ("sku", "location")

    @extend_schema(
        operation_id="inventory_check",
        summary="Készlet raktárhelyenként",
        description=(
            "A termék készlete a kulcs telephelyének raktárhelyein. A `location` szűr "
            "(kis- és nagybetű, ékezet nem számít: `gyor` = `Győr`). Ismeretlen cikkszám: 404."
        ),
        parameters=[InventoryQuerySerializer, RETRY_AFTER],
        responses=responses({200: InventoryResponseSerializer}),
        tags=["Készlet"],
    )
    def get(self, request: Request) -> Response:
        params = self.query()
        sku: str = params["sku"].strip()
        location: str | None = params.get("location") or None
        self.audit.object_type = "product"
        self.audit.object_ref = sku
        # Exact match uses the unique index; the case-insensitive retry covers typed SKUs.
        product = (
            Product.objects.filter(sku=sku).first()
            or Product.objects.filter(sku__iexact=sku).first()
        )
        if product is None:
            raise NotFound("Nincs ilyen cikkszámú termék.")
        levels = StockLevel.objects.filter(tenant_id=self.tenant_id, product=product).order_by(
            "location"
        )
        rows = [(level.location, level.quantity) for level in levels]
        if location:
            wanted = fold(location)
            rows = [(name, qty) for name, qty in rows if fold(name) == wanted]
        total = sum(max(0, qty) for _, qty in rows)
        body = {
            "sku": product.sku,
            "name": product.name,
            "location": location,
            "in_stock": total > 0,
            "total_quantity": total,
            "locations": [
                {"location": name, "quantity": qty, "in_stock": qty > 0} for name, qty in rows
            ],
        }
        return Response(InventoryResponseSerializer(body).data)
