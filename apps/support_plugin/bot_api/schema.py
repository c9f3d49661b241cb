"""OpenAPI description helpers: the bearer security scheme, shared error responses, and
the hook that keeps /api/schema/ to the bot API's own endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from .document_numbers import number_pattern
from .serializers import ErrorSerializer, ValidationErrorSerializer

if TYPE_CHECKING:
    from drf_spectacular.openapi import AutoSchema


class BearerApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "apps.support_plugin.bot_api.authentication.BearerApiKeyAuthentication"
    name = "ApiKeyBearer"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "kgc_<előtag>_<titok>",
            "description": "Az adminban generált API kulcs (`Authorization: Bearer <kulcs>`).",
        }


RETRY_AFTER = OpenApiParameter(
    "Retry-After", OpenApiTypes.INT, location=OpenApiParameter.HEADER,
    description="Ennyi másodperc múlva lehet újra próbálkozni.",
    response=[429], required=True,
)

def number_parameter(prefix: str, kind_hu: str) -> OpenApiParameter:
    """The `{number}` path parameter of a document, with the shape it must have."""
    return OpenApiParameter(
        "number", str, OpenApiParameter.PATH, pattern=number_pattern(prefix),
        description=f"{kind_hu}, pl. {prefix}-2026-0001 (kis- vagy nagybetűvel).",
    )


_ERRORS: dict[int, OpenApiResponse] = {
    400: OpenApiResponse(ValidationErrorSerializer, description="Hibás paraméter vagy kérés."),
    401: OpenApiResponse(
        ErrorSerializer,
        description="Hiányzó, ismeretlen, lejárt vagy visszavont API kulcs.",
        examples=[
            OpenApiExample(
                "Lejárt kulcs",
                {"code": "api_key_expired", "detail": "Az API kulcs lejárt."},
                response_only=True,
            )
        ],
    ),
    403: OpenApiResponse(
        ErrorSerializer, description="A kulcsnak nincs meg a szükséges jogosultsága."
    ),
    404: OpenApiResponse(
        ErrorSerializer,
        description="Nincs ilyen objektum ennél a telephelynél (más telephelyé is ezt adja).",
    ),
    406: OpenApiResponse(ErrorSerializer, description="Csak application/json választ adunk."),
    409: OpenApiResponse(ErrorSerializer, description="Az időpont már foglalt."),
    413: OpenApiResponse(ErrorSerializer, description="A kérés törzse túl nagy."),
    415: OpenApiResponse(ErrorSerializer, description="A kérés törzse application/json legyen."),
    422: OpenApiResponse(
        ErrorSerializer,
        description="Az Idempotency-Key értéket már egy másik tartalmú kéréshez használták.",
    ),
    429: OpenApiResponse(
        ErrorSerializer, description="Túl sok kérés: lásd a Retry-After fejlécet."
    ),
    503: OpenApiResponse(
        ErrorSerializer,
        description="Az ügyfélszolgálati modul ki van kapcsolva ennél a telephelynél.",
    ),
}

READ_ERRORS = (400, 401, 403, 404, 406, 429, 503)
WRITE_ERRORS = (400, 401, 403, 406, 409, 413, 415, 422, 429, 503)


def responses(
    ok: dict[int, object], errors: tuple[int, ...] = READ_ERRORS
) -> dict[int, object]:
    return {**ok, **{code: _ERRORS[code] for code in errors}}


def only_bot_api_endpoints(
    endpoints: list[tuple[str, str, str, Any]], **kwargs: Any
) -> list[tuple[str, str, str, Any]]:
    """Preprocessing hook: the schema at /api/schema/ describes this API only, not every
    DRF view another app may mount."""
    from .views.base import BotApiView

    return [
        endpoint
        for endpoint in endpoints
        if isinstance(getattr(endpoint[3], "cls", None), type)
        and issubclass(endpoint[3].cls, BotApiView)
    ]


SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "KGC ERP ügyfélszolgálati API",
    "DESCRIPTION": (
        "Csak olvasható ERP API az ügyfélszolgálati bot (Kokó) és a Chatwoot ügynökök "
        "számára, plusz szervizidőpont-foglalás. Minden kéréshez API kulcs kell "
        "(`Authorization: Bearer <kulcs>`); a kulcs egy telephelyhez tartozik, és csak annak "
        "adatait látja. Hibák: `{\"code\": ..., \"detail\": ...}`."
    ),
    "VERSION": "1.0.0",
    # The four "status" choice sets get their own names instead of StatusC56Enum & co.
    "ENUM_NAME_OVERRIDES": {
        "RentalStatusEnum": Rental.Status.choices,
        "WorklogStatusEnum": Worklog.Status.choices,
        "OrderStatusEnum": Order.Status.choices,
        "PaymentStatusEnum": Partner.PaymentStatus.choices,
    },
    "PREPROCESSING_HOOKS": [
        "apps.support_plugin.bot_api.schema.only_bot_api_endpoints",
    ],
}
