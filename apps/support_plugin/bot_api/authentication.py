"""`Authorization: Bearer <key>` authentication: resolves the API key and its tenant."""

from __future__ import annotations

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .errors import DATABASE_OUTAGE, DatabaseUnavailable, KeyRejected
from .keys import find_key, touch_last_used
from .models import ApiKey

KEYWORD = b"bearer"


class BearerApiKeyAuthentication(BaseAuthentication):
    """Sets `request.user` and `request.auth` to the `ApiKey` (which carries `tenant`).

    No header: returns None, so the permission check answers 401 "missing key". A header
    with an unknown, expired or revoked key: 401 with a code that says which.
    """

    def authenticate(self, request: Request) -> tuple[ApiKey, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD:
            return None
        if len(header) != 2:
            raise KeyRejected("Hibás Authorization fejléc: `Bearer <kulcs>` formát várunk.")
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise KeyRejected() from exc
        try:
            api_key = find_key(raw_key)
        except DATABASE_OUTAGE as exc:
            # Raised as an API error here, not later: DRF then records "not authenticated"
            # and the audit row of this 503 does not ask the database for the key again.
            raise DatabaseUnavailable() from exc
        if api_key is None:
            raise KeyRejected()
        now = timezone.now()
        if api_key.revoked_at is not None:
            raise KeyRejected("Az API kulcsot visszavonták.", code="api_key_revoked")
        if api_key.expires_at <= now:
            raise KeyRejected("Az API kulcs lejárt.", code="api_key_expired")
        try:
            touch_last_used(api_key, now)
        except DATABASE_OUTAGE as exc:
            raise DatabaseUnavailable() from exc
        return api_key, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="kgc-bot-api"'
