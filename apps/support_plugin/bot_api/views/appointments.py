"""Booking a workshop appointment (needs the `support:write` scope)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from kgc_erp.numbering.sequences import WORKLOG_PREFIX
from kgc_erp.partners.models import Partner
from kgc_erp.service.models import Appointment, Worklog

from .. import idempotency
from ..document_numbers import parse_document_number
from ..errors import ApiError, Conflict
from ..opening_hours import SLOT, SlotNotBookable, validate_slot
from ..schema import RETRY_AFTER, WRITE_ERRORS, responses
from ..scopes import Scope
from ..serializers import AppointmentBookingSerializer, AppointmentSerializer
from .base import BotApiView

SLOT_CONSTRAINT = "appointment_unique_slot"


def _is_slot_conflict(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == SLOT_CONSTRAINT


class AppointmentCreateView(BotApiView):
    audit_endpoint = "service.appointments.create"
    required_scope = Scope.WRITE

    @extend_schema(
        operation_id="appointment_create",
        summary="Szervizidőpont foglalása",
        description=(
            "Időpontot foglal a kulcs telephelyén. Nyitvatartás: hétfő–péntek 7:00–17:00, "
            "szombat 8:00–12:00; 30 perces sávok. Foglalt időpont: 409. Az "
            "`Idempotency-Key` fejléccel megismételt kérés az első választ kapja vissza; "
            "ugyanaz a kulcs más tartalommal: 422."
        ),
        parameters=[
            OpenApiParameter(
                idempotency.HEADER, str, OpenApiParameter.HEADER, required=False,
                description="Egyedi kérésazonosító (pl. UUID) az ismételt küldés ellen.",
            ),
            RETRY_AFTER,
        ],
        request=AppointmentBookingSerializer,
        responses=responses({201: AppointmentSerializer}, WRITE_ERRORS),
        tags=["Szerviz"],
    )
    def post(self, request: Request) -> Response:
        key = idempotency.read_key(request)
        with transaction.atomic():
            if key is None:
                return self._book(request.data)
            record, replay = idempotency.claim(
                tenant_id=self.tenant_id,
                endpoint=self.audit_endpoint,
                key=key,
                request_hash=idempotency.fingerprint(request.data),
            )
            if replay is not None:
                self.audit.object_type = "appointment"
                self.audit.object_ref = str((record.response_body or {}).get("id", ""))
                self.audit.partner_id = record.partner_id
                return replay
            response = self._book(request.data)
            idempotency.remember(record, response, self.audit.partner_id)
            return response

    def _book(self, data: Any) -> Response:
        payload = AppointmentBookingSerializer(data=data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        partner = Partner.objects.filter(
            pk=values["customer_id"], tenant_id=self.tenant_id, is_active=True
        ).first()
        if partner is None:
            raise serializers.ValidationError({"customer_id": ["Nincs ilyen ügyfél."]})
        self.audit.partner_id = partner.pk

        worklog = None
        if values.get("worklog_number"):
            try:
                number = parse_document_number(values["worklog_number"], WORKLOG_PREFIX)
            except ApiError as exc:
                raise serializers.ValidationError({"worklog_number": [str(exc.detail)]}) from exc
            worklog = Worklog.objects.filter(
                tenant_id=self.tenant_id, partner=partner, number=number
            ).first()
            if worklog is None:
                raise serializers.ValidationError(
                    {"worklog_number": ["Ennek az ügyfélnek nincs ilyen számú munkalapja."]}
                )
        try:
            starts_at = validate_slot(values["starts_at"])
        except SlotNotBookable as exc:
            raise serializers.ValidationError({"starts_at": [str(exc)]}) from exc

        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(
                    tenant_id=self.tenant_id,
                    partner=partner,
                    worklog=worklog,
                    starts_at=starts_at,
                    note=values.get("note", ""),
                )
        except IntegrityError as exc:
            if not _is_slot_conflict(exc):
                raise
            raise Conflict(
                "Ez az időpont már foglalt. Kérjük, válasszon másik időpontot.",
                code="slot_taken",
            ) from exc
        self.audit.object_type = "appointment"
        self.audit.object_ref = str(appointment.pk)
        body = {
            "id": appointment.pk,
            "customer_id": partner.pk,
            "starts_at": starts_at,
            "ends_at": starts_at + SLOT,
            "worklog_number": worklog.number if worklog else None,
            "note": appointment.note,
        }
        return Response(AppointmentSerializer(body).data, status=status.HTTP_201_CREATED)
