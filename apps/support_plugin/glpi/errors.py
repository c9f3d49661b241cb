"""Typed failures of GLPI's legacy REST API, as the event bus understands them.

GLPI answers errors as a two-element JSON array ``[CODE, message]`` (NOTES §3); the code
(element 0) decides the class, never the message text. Each class is also an event bus
delivery error, so a handler lets them propagate: configuration and data problems are
permanent (dead at once, an admin fixes and retries), outages and broken answers are
transient (retried with backoff).
"""

from __future__ import annotations

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError

JsonBody = object  # whatever json.loads returned, or the text of a non-JSON body


class GlpiError(Exception):
    """Marker base: any failure talking to GLPI."""

    code: str = ""
    status: int | None = None
    body: JsonBody = None


class GlpiSessionInvalid(GlpiError, TransientDeliveryError):
    """401 ERROR_SESSION_TOKEN_INVALID: the session expired or was killed. The client
    re-initialises once and retries; it only escapes when the fresh session fails too."""


class GlpiAuthError(GlpiError, PermanentDeliveryError):
    """initSession refused (wrong user/app token, credentials login disabled, IP not
    allowed, API disabled): nothing works until an admin fixes the settings."""


class GlpiRightMissing(GlpiError, PermanentDeliveryError):
    """403 ERROR_RIGHT_MISSING: the API user's profile or entity lacks the right."""


class GlpiNotFound(GlpiError, PermanentDeliveryError):
    """404 ERROR_ITEM_NOT_FOUND."""


class GlpiRequestError(GlpiError, PermanentDeliveryError):
    """Any other 4xx: ERROR_GLPI_ADD/UPDATE (GLPI refused the data), ERROR_BAD_ARRAY,
    malformed search, ... Retrying the same request cannot help."""


class GlpiServerError(GlpiError, TransientDeliveryError):
    """5xx (ERROR_SQL, Apache's HTML 500, a gateway 504)."""


class GlpiBadResponse(GlpiError, TransientDeliveryError):
    """A 2xx whose body is not what GLPI sends (HTML, truncated JSON, missing keys). A
    proxy or a PHP warning in front of GLPI causes these; they pass, so they are retried,
    and the write paths look up before creating, so a retry never duplicates."""


class GlpiUnavailable(GlpiError, TransientDeliveryError):
    """No answer at all: connection refused, DNS, connect or read timeout."""


class NotConfigured(GlpiError, PermanentDeliveryError):
    """The tenant's GLPI URL or user token is missing."""


# Codes of initSession and of the API client filter (NOTES §2, §3).
AUTH_CODES = frozenset({
    "ERROR_LOGIN_PARAMETERS_MISSING",
    "ERROR_APP_TOKEN_PARAMETERS_MISSING",
    "ERROR_WRONG_APP_TOKEN_PARAMETER",
    "ERROR_LOGIN_WITH_CREDENTIALS_DISABLED",
    "ERROR_GLPI_LOGIN_USER_TOKEN",
    "ERROR_GLPI_LOGIN",
    "ERROR_NOT_ALLOWED_IP",
})
SESSION_INVALID = "ERROR_SESSION_TOKEN_INVALID"

__all__ = (
    "AUTH_CODES",
    "SESSION_INVALID",
    "GlpiAuthError",
    "GlpiBadResponse",
    "GlpiError",
    "GlpiNotFound",
    "GlpiRequestError",
    "GlpiRightMissing",
    "GlpiServerError",
    "GlpiSessionInvalid",
    "GlpiUnavailable",
    "NotConfigured",
)
