"""Phone number normalisation: everything is stored in E.164 (+36301234567)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number (Hungarian message for the admin and API)."""


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Parse any common notation (`+36 30 123 4567`, `06301234567`, `06-30/123-4567`).

    Numbers without a country code are read in `region` (default: Hungary). Raises
    `InvalidPhoneNumber` for text that is not a valid, dialable number.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Adjon meg egy telefonszámot.")
    try:
        parsed = phonenumbers.parse(text, region or settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"Érvénytelen telefonszám: {text}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"Érvénytelen telefonszám: {text}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    """True when a search term is mostly digits, so a phone lookup makes sense."""
    digits = sum(ch.isdigit() for ch in text)
    return digits >= 6 and digits >= len(text.replace(" ", "")) * 0.6
