"""Typed failures of the Chatwoot API, as the event bus understands them.

Each class is also an event bus delivery error, so a handler can let them propagate:
401/404/422 are permanent (retrying cannot help), 429/5xx/timeouts are transient and
retried with backoff (honouring ``Retry-After``).
"""

from __future__ import annotations

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError


class ChatwootError(Exception):
    """Marker base: any failure talking to Chatwoot."""

    status: int | None = None
    body: object = None


class ChatwootUnauthorized(ChatwootError, PermanentDeliveryError):
    """401: bad token, not a member of the account, or a Pundit denial (NOTES §3)."""


class ChatwootNotFound(ChatwootError, PermanentDeliveryError):
    """404: the record (or the route) does not exist."""


class ChatwootValidationError(ChatwootError, PermanentDeliveryError):
    """422: Chatwoot refused the data. ``attributes`` lists the offending fields when the
    body is a model validation error (``{"message", "attributes"}``)."""

    def __init__(self, message: str, *, attributes: tuple[str, ...] = (),
                 http_status: int | None = 422) -> None:
        super().__init__(message, http_status=http_status)
        self.attributes = attributes

    @property
    def already_taken(self) -> bool:
        """A uniqueness violation ("Email has already been taken", NOTES §5)."""
        return "has already been taken" in self.message


class ChatwootRequestError(ChatwootError, PermanentDeliveryError):
    """Any other 4xx (400 malformed, 403 plan gate ...)."""


class ChatwootRateLimited(ChatwootError, TransientDeliveryError):
    """429 from rack-attack (plain text "Retry later")."""


class ChatwootServerError(ChatwootError, TransientDeliveryError):
    """5xx, a gateway timeout or a response body that is not what Chatwoot sends."""


class ChatwootUnavailable(ChatwootError, TransientDeliveryError):
    """No answer at all: connection refused, DNS, read/connect timeout."""


__all__ = (
    "ChatwootError",
    "ChatwootNotFound",
    "ChatwootRateLimited",
    "ChatwootRequestError",
    "ChatwootServerError",
    "ChatwootUnauthorized",
    "ChatwootUnavailable",
    "ChatwootValidationError",
)
