"""Phone number normalisation: everything is stored in E.164 (+36301234567)."""

from __future__ import annotations

import re

import phonenumbers
from django.conf import settings

# What people type around the digits: spaces, `-`, `/`, `.`, parentheses, and `+` only
# as the first character. Anything else (above all letters) is refused: phonenumbers
# would read `12345abc` as keypad digits (`+3612345222`) and we would store and push a
# number nobody gave us.
ALLOWED_PHONE_TEXT = re.compile(r"\+?[0-9 \-/.()]*")
LETTERS_MESSAGE = (
    "A telefonszám csak számjegyeket, szóközt és + - / . ( ) jeleket tartalmazhat "
    "(a + jel csak az elején állhat)."
)


class InvalidPhoneNumber(ValueError):
    """The text is not a valid phone number (Hungarian message for the admin and API)."""


def check_phone_characters(text: str) -> None:
    """Raise `InvalidPhoneNumber` when `text` holds anything but a phone's characters."""
    if not ALLOWED_PHONE_TEXT.fullmatch(text):
        raise InvalidPhoneNumber(LETTERS_MESSAGE)


def normalize_phone(raw: str, region: str | None = None) -> str:
    """Parse any common notation (`+36 30 123 4567`, `06301234567`, `06-30/123-4567`).

    Numbers without a country code are read in `region` (default: Hungary). Raises
    `InvalidPhoneNumber` for text that is not a valid, dialable number, and for text
    with letters or other characters a phone number is never written with.
    """
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("Adjon meg egy telefonszámot.")
    check_phone_characters(text)
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
