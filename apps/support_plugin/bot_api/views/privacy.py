"""Erasure requests from the bot (scope `customers:erase`): a DELETE opens a data-subject
request (apps.plugin_manager.privacy) and answers 202; its progress is readable by id."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.plugin_manager.privacy.models import PrivacyRequest
from apps.plugin_manager.privacy.opening import AlreadyOpen, open_request
from kgc_erp.partners.models import Partner

from ..errors import NotFound
from ..schema import RETRY_AFTER, responses
from ..scopes import Scope
from .base import BotApiView

ERASE_ERRORS = (400, 401, 403, 404, 406, 429, 503)


class ErasureAcceptedSerializer(serializers.Serializer):
    request_id = serializers.IntegerField()
    status = serializers.CharField()


class PrivacyStepSerializer(serializers.Serializer):
    system = serializers.CharField()
    status = serializers.CharField()


class PrivacyRequestSerializer(serializers.Serializer):
    request_id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    received_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    steps = PrivacyStepSerializer(many=True)


class CustomerEraseView(BotApiView):
    audit_endpoint = "customers.erase"
    required_scope = Scope.ERASE

    @extend_schema(
        operation_id="customer_erase",
        summary="Ügyfél adatainak törlése (GDPR-kérés)",
        description=(
            "Nem töröl azonnal: adatvédelmi törlési kérelmet nyit, amely minden rendszerben "
            "(ERP, Chatwoot, CRM, ...) törli és ellenőrzi az ügyfél adatait. 202-vel válaszol "
            "a kérelem azonosítójával; az előrehaladás a `/privacy-requests/{id}` címen "
            "követhető. Már futó törlési kérelem esetén annak azonosítóját adja vissza."
        ),
        parameters=[
            OpenApiParameter("customer_id", int, OpenApiParameter.PATH,
                             description="Az ügyfél azonosítója."),
            RETRY_AFTER,
        ],
        request=None,
        responses=responses({202: ErasureAcceptedSerializer}, ERASE_ERRORS),
        tags=["Ügyfelek"],
    )
    def delete(self, request: Request, customer_id: int) -> Response:
        partner = Partner.objects.filter(pk=customer_id, tenant_id=self.tenant_id,
                                         is_active=True).first()
        if partner is None:
            raise NotFound("Nincs ilyen ügyfelünk.")
        self.audit.object_type = "partner"
        self.audit.object_ref = str(partner.pk)
        self.audit.partner_id = partner.pk
        try:
            opened = open_request(partner, PrivacyRequest.Kind.ERASURE,
                                  requested_by=f"bot API kulcs: {self.api_key.name}"[:200],
                                  channel=PrivacyRequest.Channel.BOT)
        except AlreadyOpen as exc:
            opened = exc.request
        return Response({"request_id": opened.pk, "status": opened.status},
                        status=status.HTTP_202_ACCEPTED)


class PrivacyRequestStatusView(BotApiView):
    audit_endpoint = "privacy_requests.status"
    required_scope = Scope.ERASE

    @extend_schema(
        operation_id="privacy_request_status",
        summary="Adatvédelmi kérelem állapota",
        description="A kérelem állapota, határideje és rendszerenkénti lépései.",
        parameters=[
            OpenApiParameter("request_id", int, OpenApiParameter.PATH,
                             description="A kérelem azonosítója."),
            RETRY_AFTER,
        ],
        responses=responses({200: PrivacyRequestSerializer}),
        tags=["Ügyfelek"],
    )
    def get(self, request: Request, request_id: int) -> Response:
        found = PrivacyRequest.objects.filter(pk=request_id, tenant_id=self.tenant_id).first()
        if found is None:
            raise NotFound("Nincs ilyen adatvédelmi kérelem.")
        self.audit.object_type = "privacy_request"
        self.audit.object_ref = str(found.pk)
        body = {
            "request_id": found.pk,
            "kind": found.kind,
            "status": found.status,
            "received_at": found.received_at,
            "deadline": found.deadline,
            "completed_at": found.completed_at,
            "steps": [{"system": s.system, "status": s.status} for s in found.steps.all()],
        }
        return Response(PrivacyRequestSerializer(body).data)
