"""Rentals: "is my rental overdue?"."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from kgc_erp.numbering.sequences import RENTAL_PREFIX
from kgc_erp.rentals.models import Rental

from ..document_numbers import parse_document_number
from ..errors import NotFound
from ..schema import RETRY_AFTER, number_parameter, responses
from ..serializers import RentalStatusSerializer
from ..status_labels import RENTAL_STATUS_HU, label
from .base import BotApiView


class RentalStatusView(BotApiView):
    audit_endpoint = "rentals.status"

    @extend_schema(
        operation_id="rental_status",
        summary="Bérlés állapota",
        description="Gép, kezdet, lejárat, állapot és a késés napjai a bérlési szám alapján.",
        parameters=[
            number_parameter(RENTAL_PREFIX, "Bérlési szám"),
            RETRY_AFTER,
        ],
        responses=responses({200: RentalStatusSerializer}),
        tags=["Bérlés"],
    )
    def get(self, request: Request, number: str) -> Response:
        number = parse_document_number(number, RENTAL_PREFIX)
        self.audit.object_type = "rental"
        self.audit.object_ref = number
        rental = (
            Rental.objects.select_related("machine")
            .filter(tenant_id=self.tenant_id, number=number)
            .first()
        )
        if rental is None:
            raise NotFound("Nincs ilyen számú bérlés.")
        self.audit.partner_id = rental.partner_id
        body = {
            "number": rental.number,
            "customer_id": rental.partner_id,
            "machine": rental.machine.name,
            "machine_type": rental.machine.type,
            "start_date": rental.start_date,
            "due_date": rental.end_date,
            "returned_at": rental.returned_at,
            "status": rental.status,
            "status_hu": label(RENTAL_STATUS_HU, rental.status),
            "late_days": rental.late_days(),
        }
        return Response(RentalStatusSerializer(body).data)
