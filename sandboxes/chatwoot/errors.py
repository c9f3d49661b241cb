"""Chatwoot's error responses (NOTES §1, §3): status codes and bodies, byte for byte.

Chatwoot is not uniform here: most handlers render ``{"error": ...}``, model validation
renders ``{"message", "attributes"}``, devise renders ``{"errors": [...]}``, and paths
without a handler fall through to Rails' default ``{"status", "error"}``. Views raise
``ApiError`` and the WSGI app renders it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class ApiError(Exception):
    """An HTTP error response, raised from anywhere below the WSGI app."""

    def __init__(self, status: int, body: Any, content_type: str = "application/json") -> None:
        super().__init__(f"{status}: {body!r}")
        self.status = status
        self.body = body
        self.content_type = content_type


def not_found() -> ApiError:
    """Application API RecordNotFound (RequestExceptionHandler#handle_with_exception)."""
    return ApiError(404, {"error": "Resource could not be found"})


def rails_status(status: int, reason: str) -> ApiError:
    """Rails' default JSON error for exceptions no Chatwoot handler catches (Platform 404,
    malformed JSON 400, invalid enum values 500)."""
    return ApiError(status, {"status": status, "error": reason})


def rails_not_found() -> ApiError:
    return rails_status(404, "Not Found")


def internal_error() -> ApiError:
    return rails_status(500, "Internal Server Error")


def unauthorized(message: str) -> ApiError:
    return ApiError(401, {"error": message})


def not_signed_in() -> ApiError:
    """No token header: devise_token_auth answers with an ``errors`` array."""
    return ApiError(401, {"errors": ["You need to sign in or sign up before continuing."]})


def not_authorized_action() -> ApiError:
    """Pundit denial: Chatwoot answers 401, not 403."""
    return unauthorized("You are not authorized to do this action")


def unprocessable(message: str) -> ApiError:
    return ApiError(422, {"error": message})


def param_missing(name: str) -> ApiError:
    return unprocessable(f"param is missing or the value is empty: {name}")


def record_invalid(errors: Sequence[tuple[str, str]]) -> ApiError:
    """``render_record_invalid``: full messages joined by ", ", attribute names deduplicated
    in first-seen order (``errors.attribute_names``)."""
    attributes: list[str] = []
    for attribute, _ in errors:
        if attribute not in attributes:
            attributes.append(attribute)
    message = ", ".join(full_message for _, full_message in errors)
    return ApiError(422, {"message": message, "attributes": attributes})


def throttled() -> ApiError:
    """rack-attack 6.7's default throttled responder."""
    return ApiError(429, "Retry later\n", content_type="text/plain")
