"""The API's errors and the handler that renders every error in one JSON shape.

Body: `{"code": "<stable machine code>", "detail": "<Hungarian message>"}`, plus
`"errors": {field: [messages]}` for validation errors. Nothing leaves as HTML or as a 500
page: an unreachable database is a JSON 503 with Retry-After; other unexpected exceptions
are logged and answered with a JSON 500.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

log = logging.getLogger("kgc.bot_api")


class ApiError(exceptions.APIException):
    """An API error with a stable machine code and a Hungarian message."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_request"
    default_detail = "Hibás kérés."

    def __init__(self, detail: str | None = None, code: str | None = None) -> None:
        super().__init__(detail or self.default_detail, code or self.default_code)
        self.error_code = code or self.default_code


class NotFound(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"
    default_detail = "Nem található."


class InvalidParameter(ApiError):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_parameter"


class KeyRejected(ApiError, exceptions.AuthenticationFailed):
    # Subclassing DRF's class makes DRF add the WWW-Authenticate header.
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "invalid_api_key"
    default_detail = "Érvénytelen API kulcs."


class MissingKey(KeyRejected, exceptions.NotAuthenticated):
    default_code = "not_authenticated"
    default_detail = (
        "Hiányzó API kulcs: küldje az `Authorization: Bearer <kulcs>` fejlécben."
    )


class InsufficientScope(ApiError, exceptions.PermissionDenied):
    status_code = status.HTTP_403_FORBIDDEN
    default_code = "insufficient_scope"


class PluginDisabled(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "plugin_disabled"
    default_detail = (
        "Az ügyfélszolgálati modul ki van kapcsolva ennél a telephelynél, "
        "ezért az API most nem elérhető."
    )


class DatabaseUnavailable(ApiError):
    """The database cannot be reached (a restart, a failover): the caller should retry.

    A 503 with Retry-After, never a 500: the request did nothing wrong and nothing was
    half-done (a lost connection rolls its transaction back)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "temporarily_unavailable"
    default_detail = (
        "Az ERP adatbázisa átmenetileg nem érhető el. Kérjük, próbálja újra néhány "
        "másodperc múlva."
    )
    retry_after_seconds = 5


# A lost or refused database connection, as opposed to a failing statement (an
# IntegrityError is a bug or a conflict, not an outage).
DATABASE_OUTAGE = (OperationalError, InterfaceError)


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"
    default_detail = "A kérés törzse túl nagy."


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unprocessable(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"


# DRF's own exceptions, with their Hungarian text and our codes.
_DRF_CODES: dict[type[exceptions.APIException], tuple[str, str | None]] = {
    exceptions.NotAuthenticated: ("not_authenticated", MissingKey.default_detail),
    exceptions.AuthenticationFailed: ("invalid_api_key", KeyRejected.default_detail),
    exceptions.PermissionDenied: ("insufficient_scope", "Ehhez a művelethez nincs jogosultság."),
    exceptions.NotFound: ("not_found", NotFound.default_detail),
    exceptions.ParseError: ("parse_error", "A kérés törzse nem érvényes JSON."),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        "Nem támogatott tartalomtípus: a kérés törzse application/json legyen.",
    ),
    exceptions.NotAcceptable: ("not_acceptable", "Az API csak application/json választ ad."),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Ez a metódus itt nem engedélyezett."),
    exceptions.Throttled: ("throttled", None),
    exceptions.ValidationError: ("validation_error", "A kérés adatai hibásak."),
}


def _flatten(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(item) for item in detail]
    return str(detail)


def _throttle_wait(exc: exceptions.Throttled) -> float | None:
    """DRF sets `Throttled.wait` in `__init__`; djangorestframework-stubs leave it out."""
    wait: float | None = exc.wait  # type: ignore[attr-defined]  # see the docstring
    return wait


def error_body(exc: exceptions.APIException) -> dict[str, object]:
    if isinstance(exc, ApiError):
        return {"code": exc.error_code, "detail": str(exc.detail)}
    code, detail = next(
        (mapped for klass, mapped in _DRF_CODES.items() if isinstance(exc, klass)),
        ("error", None),
    )
    if isinstance(exc, exceptions.Throttled):
        wait = int(_throttle_wait(exc) or 1)
        detail = f"Túl sok kérés. Próbálja újra {wait} másodperc múlva."
    body: dict[str, object] = {"code": code, "detail": detail or str(exc.detail)}
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        body["errors"] = errors if isinstance(errors, dict) else {"non_field_errors": errors}
    return body


def api_exception_handler(exc: Exception, context: dict[str, object]) -> Response:
    """Every error of the bot API as `{"code", "detail"}` JSON with its status code."""
    if isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, DATABASE_OUTAGE):
        log.warning("bot_api.database-unavailable: %s", str(exc).strip()[:200])
        exc = DatabaseUnavailable()
    if not isinstance(exc, exceptions.APIException):
        view = context.get("view")
        log.exception("bot_api.unhandled-error view=%s", type(view).__name__)
        return Response(
            {"code": "server_error", "detail": "Váratlan szerverhiba. Kérjük, próbálja később."},
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    headers: dict[str, str] = {}
    if isinstance(exc, exceptions.Throttled) and (wait := _throttle_wait(exc)) is not None:
        headers["Retry-After"] = str(max(1, int(wait)))
    if isinstance(exc, DatabaseUnavailable):
        headers["Retry-After"] = str(exc.retry_after_seconds)
    if auth_header := getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = auth_header
    return Response(error_body(exc), status=exc.status_code, headers=headers)
