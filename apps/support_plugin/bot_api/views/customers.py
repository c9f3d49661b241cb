"""Customers: lookup by phone number and likely duplicates."""

from __future__ import annotations

from typing import Any, TypedDict, cast

from django.contrib.postgres.search import TrigramSimilarity
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
)
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from kgc_erp.partners.models import Partner
from kgc_erp.partners.phone import InvalidPhoneNumber, normalize_phone

from ..errors import InvalidParameter, NotFound
from ..queries import customer_lookup
from ..schema import RETRY_AFTER, responses
from ..serializers import (
    CustomerSerializer,
    DuplicateQuerySerializer,
    DuplicatesResponseSerializer,
)
from ..status_labels import PAYMENT_STATUS_HU, label
from .base import BotApiView

NAME_SIMILARITY_THRESHOLD = 0.5
MAX_DUPLICATES = 20


class _DuplicateRow(TypedDict):
    """One row of the duplicates query's `.values(...)`."""

    id: int
    name: str
    phone: str
    email: str
    company: str
    same_phone: bool
    same_email: bool
    name_similarity: float


class Fold(Func):
    """`bot_api_fold(text)`: lower case without accents (SQL function of our migration,
    indexed with gin_trgm_ops on partners' names)."""

    function = "bot_api_fold"
    output_field = TextField()


def parse_phone(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except InvalidPhoneNumber as exc:
        raise InvalidParameter(str(exc), code="invalid_phone") from exc


class CustomerByPhoneView(BotApiView):
    audit_endpoint = "customers.by_phone"
    masked_url_kwargs = ("phone",)

    @extend_schema(
        operation_id="customer_by_phone",
        summary="Ügyfél keresése telefonszám alapján",
        description=(
            "Bármely szokásos írásmódot elfogad (`+36 30 123 4567`, `06301234567`, "
            "`+36301234567`). Ismeretlen szám: 404; nem értelmezhető vagy betűt tartalmazó "
            "szám: 400."
        ),
        parameters=[
            OpenApiParameter("phone", str, OpenApiParameter.PATH, description="Telefonszám."),
            RETRY_AFTER,
        ],
        responses=responses({200: CustomerSerializer}),
        tags=["Ügyfelek"],
    )
    def get(self, request: Request, phone: str) -> Response:
        normalised = parse_phone(phone)
        # An erased person's number is unknown, whoever holds it now: the lookup checks
        # the privacy tombstones in the same statement.
        partner = customer_lookup(self.tenant_id, normalised)
        if partner is None:
            raise NotFound("Ezzel a telefonszámmal nincs ügyfelünk.")
        self.audit.object_type = "partner"
        self.audit.object_ref = str(partner.id)
        self.audit.partner_id = partner.id
        body = {
            "id": partner.id,
            "name": partner.name,
            "phone": partner.phone,
            "email": partner.email,
            "company": partner.company,
            "is_business": partner.is_business,
            "active_rentals": partner.active_rentals,
            "pending_repairs": partner.pending_repairs,
            "payment_status": partner.payment_status,
            "payment_status_hu": label(PAYMENT_STATUS_HU, partner.payment_status),
        }
        # Only ints, strings and booleans: already the wire shape CustomerSerializer
        # documents (the schemathesis run checks it), so the hottest endpoint skips the
        # serializer pass (about 0.4 ms of CPU per call).
        return Response(body)


class CustomerDuplicatesView(BotApiView):
    audit_endpoint = "customers.duplicates"
    query_serializer_class = DuplicateQuerySerializer

    @extend_schema(
        operation_id="customer_duplicates",
        summary="Valószínű duplikált ügyfelek",
        description=(
            "Azonos (normalizált) telefonszám vagy e-mail, illetve ékezetek nélkül hasonló név "
            "alapján ad összevonási javaslatot. Legalább egy paraméter kötelező."
        ),
        parameters=[DuplicateQuerySerializer, RETRY_AFTER],
        responses=responses({200: DuplicatesResponseSerializer}, (400, 401, 403, 406, 429, 503)),
        tags=["Ügyfelek"],
    )
    def get(self, request: Request) -> Response:
        params = self.query()
        name: str | None = params.get("name") or None
        raw_phone: str | None = params.get("phone") or None
        phone = parse_phone(raw_phone) if raw_phone else None
        email = (params.get("email") or "").strip().lower() or None

        match = Q()
        if phone:
            match |= Q(phone=phone)
        if email:
            match |= Q(email=email)
        # Any: the rows turn from partners into `_DuplicateRow` dicts at `.values()`.
        partners: QuerySet[Partner, Any] = Partner.objects.filter(
            tenant_id=self.tenant_id, is_active=True
        )
        if name:
            folded_query = Fold(Value(name))
            # `%` (trigram_similar) is what the GIN index answers; the threshold below
            # then keeps the close matches only.
            partners = partners.annotate(
                folded_name=Fold("name"),
                # arg-type: the stubs take only a str; Django takes any text expression.
                name_similarity=TrigramSimilarity(
                    Fold("name"), folded_query  # type: ignore[arg-type]
                ),
            )
            match |= Q(folded_name__trigram_similar=folded_query) & Q(
                name_similarity__gte=NAME_SIMILARITY_THRESHOLD
            )
        else:
            partners = partners.annotate(name_similarity=Value(0.0))
        partners = (
            partners.filter(match)
            .annotate(
                same_phone=ExpressionWrapper(Q(phone=phone or ""), output_field=BooleanField()),
                same_email=ExpressionWrapper(Q(email=email or ""), output_field=BooleanField()),
            )
            .order_by(F("same_phone").desc(), F("same_email").desc(),
                      F("name_similarity").desc(), "id")
            .values("id", "name", "phone", "email", "company", "same_phone", "same_email",
                    "name_similarity")[:MAX_DUPLICATES]
        )
        with transaction.atomic():
            if name:
                # The GIN index answers `%` at pg_trgm's session threshold (0.3 by default:
                # ~5 000 candidate rows for a common name at 100 000 partners). Raising it
                # to ours for this transaction only lets the index return ~70.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
                                   [str(NAME_SIMILARITY_THRESHOLD)])
            rows = cast("list[_DuplicateRow]", list(partners))
        candidates = []
        for row in rows:
            reasons = [
                reason
                for reason, hit in (
                    ("phone", bool(phone) and row["same_phone"]),
                    ("email", bool(email) and row["same_email"]),
                    ("name", row["name_similarity"] >= NAME_SIMILARITY_THRESHOLD),
                )
                if hit
            ]
            candidates.append({
                "id": row["id"],
                "name": row["name"],
                "phone": row["phone"],
                "email": row["email"],
                "company": row["company"],
                "reasons": reasons,
                "name_similarity": round(float(row["name_similarity"]), 3),
            })
        self.audit.object_type = "partner_search"
        self.audit.object_ref = ",".join(str(c["id"]) for c in candidates[:5])
        return Response(
            DuplicatesResponseSerializer({"count": len(candidates), "candidates": candidates}).data
        )
