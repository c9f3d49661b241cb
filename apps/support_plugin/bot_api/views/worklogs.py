"""Service worklogs: "where is my repair?"."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.fields import Field
from rest_framework.request import Request
from rest_framework.response import Response

from kgc_erp.numbering.sequences import WORKLOG_PREFIX

from ..document_numbers import parse_document_number
from ..errors import NotFound
from ..queries import worklog_lookup
from ..schema import RETRY_AFTER, number_parameter, responses
from ..serializers import WorklogStatusSerializer
from ..status_labels import WORKLOG_STATUS_HU, label
from .base import BotApiView


class WorklogStatusView(BotApiView):
    audit_endpoint = "service.worklog_status"

    @extend_schema(
        operation_id="worklog_status",
        summary="Munkalap (szervizjavítás) állapota",
        description=(
            "Állapot kóddal és magyarul, várható elkészülés, árajánlat és elfogadása, szerelői "
            "megjegyzés, és hogy átvehető-e a gép."
        ),
        parameters=[
            number_parameter(WORKLOG_PREFIX, "Munkalapszám"),
            RETRY_AFTER,
        ],
        responses=responses({200: WorklogStatusSerializer}),
        tags=["Szerviz"],
    )
    def get(self, request: Request, number: str) -> Response:
        number = parse_document_number(number, WORKLOG_PREFIX)
        self.audit.object_type = "worklog"
        self.audit.object_ref = number
        worklog = worklog_lookup(self.tenant_id, number)
        if worklog is None:
            raise NotFound("Nincs ilyen számú munkalap.")
        self.audit.partner_id = worklog.partner_id
        # The wire shape WorklogStatusSerializer documents, built directly: strings,
        # ints and booleans as they come, the date and the timestamp through the
        # serializer's own fields (same format, same time zone). Building the serializer
        # per request cost about a sixth of the endpoint's CPU.
        body = {
            "number": worklog.number,
            "customer_id": worklog.partner_id,
            "machine": worklog.machine_type,
            "status": worklog.status,
            "status_hu": label(WORKLOG_STATUS_HU, worklog.status),
            "estimated_completion": _represent(_DATE, worklog.estimated_completion),
            "quote_amount": int(worklog.quote_amount) if worklog.quote_amount is not None else None,
            "quote_accepted": worklog.quote_accepted,
            "technician_notes": worklog.technician_notes,
            "can_pickup": worklog.can_pickup,
            "completed_at": _represent(_TIMESTAMP, worklog.completed_at),
        }
        return Response(body)


_DATE = WorklogStatusSerializer._declared_fields["estimated_completion"]
_TIMESTAMP = WorklogStatusSerializer._declared_fields["completed_at"]


def _represent(field: Field, value: object) -> object:
    """What the serializer puts on the wire for a nullable field (None stays None)."""
    return None if value is None else field.to_representation(value)
