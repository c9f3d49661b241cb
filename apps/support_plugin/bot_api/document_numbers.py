"""Parsing the document numbers customers quote (R-2026-0001, M-2026-0123, O-2026-0456)."""

from __future__ import annotations

import re

from kgc_erp.numbering.sequences import ORDER_PREFIX, RENTAL_PREFIX, WORKLOG_PREFIX

from .errors import InvalidParameter

_PATTERN = re.compile(r"^(?P<prefix>[A-Z])-(?P<year>[0-9]{4})-(?P<seq>[0-9]{4,9})$")
_KIND_HU = {RENTAL_PREFIX: "bérlési", WORKLOG_PREFIX: "munkalap", ORDER_PREFIX: "rendelés"}


def parse_document_number(raw: str, prefix: str) -> str:
    """The canonical number (upper case, trimmed), or a 400 naming the expected shape.

    Customers type "r-2026-0001" or " M-2026-0123 "; both are accepted.
    """
    text = (raw or "").strip().upper()
    match = _PATTERN.match(text)
    if match is None or match["prefix"] != prefix:
        raise InvalidParameter(
            f"Hibás {_KIND_HU[prefix]}szám. Várt formátum: {prefix}-ÉÉÉÉ-NNNN "
            f"(pl. {prefix}-2026-0001).",
            code="invalid_number",
        )
    return text


def number_pattern(prefix: str) -> str:
    """The JSON-schema pattern of a number (upper or lower case), for the OpenAPI schema."""
    return f"^[{prefix}{prefix.lower()}]-[0-9]{{4}}-[0-9]{{4,9}}$"
