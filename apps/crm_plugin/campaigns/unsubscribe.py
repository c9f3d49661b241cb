"""Unsubscribe tokens and the one-click unsubscribe (RFC 8058).

The token is signed and timestamped (`TimestampSigner` with its own salt) and carries only
the partner's id and the campaign kind: no address or name ever appears in a URL. A token
is good once: using it records a `ConsentChange`, and a token issued before the partner's
latest consent change (a later opt-in included) withdraws nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.urls import get_urlconf, reverse
from django.utils.encoding import force_bytes

from kgc_erp.partners.models import ConsentChange, Partner
from kgc_erp.partners.services import withdraw_marketing_consent

SALT = "crm_campaigns.unsubscribe"
# Long enough for a customer who finds the e-mail weeks later.
MAX_AGE = timedelta(days=90)


class InvalidToken(Exception):
    """Forged, malformed or expired; `expired` tells the customer which."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class UnsubscribeToken:
    partner_id: int
    campaign: str
    issued_at: datetime


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


# Django's Signer derives its HMAC key (a SHA-256 of salt and secret) and builds a new
# HMAC object for every token; a campaign signs one token per e-mail, so the keyed HMAC
# is built once per secret and copied. The token is byte for byte what
# `TimestampSigner(salt=SALT).sign(...)` gives (tests/crm_plugin/campaigns/test_unsubscribe.py).
_keyed: dict[str | bytes, hmac.HMAC] = {}


def _keyed_hmac() -> hmac.HMAC:
    secret: str | bytes = settings.SECRET_KEY
    keyed = _keyed.get(secret)
    if keyed is None:
        # salted_hmac(SALT + "signer", value, SECRET_KEY, algorithm="sha256")
        key = hashlib.sha256(force_bytes(f"{SALT}signer") + force_bytes(secret)).digest()
        keyed = _keyed[secret] = hmac.new(key, digestmod=hashlib.sha256)
    return keyed


def make_token(partner_id: int, campaign: str) -> str:
    value = f"{partner_id}.{campaign}:{signing.b62_encode(int(time.time()))}"
    mac = _keyed_hmac().copy()
    mac.update(value.encode())
    return f"{value}:{base64.urlsafe_b64encode(mac.digest()).rstrip(b'=').decode()}"


def read_token(token: str, max_age: timedelta = MAX_AGE) -> UnsubscribeToken:
    signer = _signer()
    try:
        value = signer.unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidToken(expired=True) from exc
    except signing.BadSignature as exc:
        raise InvalidToken(expired=False) from exc
    partner_id, _, campaign = value.partition(".")
    if not partner_id.isdigit() or not campaign:
        raise InvalidToken(expired=False)
    # The signature covered the timestamp, so reading it back is safe.
    timestamp = signing.b62_decode(token.rsplit(signer.sep, 2)[-2])
    return UnsubscribeToken(int(partner_id), campaign, datetime.fromtimestamp(timestamp, UTC))


@dataclass(frozen=True)
class UnsubscribeLinks:
    page: str  # the link in the text: a page with a confirm button
    one_click: str  # the List-Unsubscribe URL mail clients POST to (RFC 8058)


_PLACEHOLDER = "TOKEN"


def _url_patterns() -> tuple[str, str]:
    """The page's and the one-click URL's paths with a placeholder for the token."""
    # Reversed once per URL configuration (a campaign needs both URLs for every e-mail,
    # and reverse() is slow); a signed token has only characters a path keeps as they
    # are. One lookup of the thread's URL configuration for both.
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    patterns = _patterns.get(urlconf)
    if patterns is None:
        patterns = _patterns[urlconf] = (
            reverse("crm_campaigns:unsubscribe", args=[_PLACEHOLDER]),
            reverse("crm_campaigns:one_click_unsubscribe", args=[_PLACEHOLDER]))
    return patterns


_patterns: dict[str, tuple[str, str]] = {}


def unsubscribe_links(partner_id: int, campaign: str) -> UnsubscribeLinks:
    token = make_token(partner_id, campaign)
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    page, one_click = _url_patterns()
    return UnsubscribeLinks(page=base + page.replace(_PLACEHOLDER, token),
                            one_click=base + one_click.replace(_PLACEHOLDER, token))


class Outcome:
    WITHDRAWN = "withdrawn"
    ALREADY = "already"  # used before, or consent already clear: nothing changed


def apply_unsubscribe(token: UnsubscribeToken, method: str) -> str:
    """Clear the partner's marketing consent once; `method` is "page" or "one_click"."""
    partner = Partner.objects.filter(pk=token.partner_id).first()
    if partner is None:
        return Outcome.ALREADY
    # A second use (or a token older than a later opt-in) changes nothing.
    later_change = ConsentChange.objects.filter(
        partner=partner, created_at__gte=token.issued_at - timedelta(seconds=1)
    ).exists()
    if later_change:
        return Outcome.ALREADY
    source = f"{method}:{token.campaign}"
    return Outcome.WITHDRAWN if withdraw_marketing_consent(partner, source) else Outcome.ALREADY


__all__ = ("InvalidToken", "Outcome", "UnsubscribeLinks", "UnsubscribeToken",
           "apply_unsubscribe", "make_token", "read_token", "unsubscribe_links")
