"""How an SMTP failure is retried: 4xx and connection trouble wait, 5xx is final."""

from __future__ import annotations

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError


class EmailError(Exception):
    """Marker base of the campaign e-mail failures."""


class EmailTemporarilyRefused(EmailError, TransientDeliveryError):
    """A 4xx answer, a dropped connection or a timeout: retried with backoff."""


class EmailRejected(EmailError, PermanentDeliveryError):
    """A 5xx answer: the server will never accept this message; the send is failed."""


class RateLimited(EmailError, TransientDeliveryError):
    """The tenant's sending rate is used up: retried after `retry_after`."""


__all__ = ("EmailError", "EmailRejected", "EmailTemporarilyRefused", "RateLimited")
