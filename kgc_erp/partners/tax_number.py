"""Tax numbers: Hungarian adószám (12345678-1-12) and EU VAT numbers (DE136695976).

Both are checked offline with python-stdnum: `stdnum.hu.anum` for the Hungarian
taxpayer number (weights 9,7,3,1,9,7,3,1, the weighted sum is divisible by 10) and
`stdnum.eu.vat` for the other member states' formats and check digits. Messages are
Hungarian because they end up in the admin form.
"""

from __future__ import annotations

import re

from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.hu import anum

# The VAT code (9th digit): 1 exempt, 2 general rules, 3 simplified (EVA / KATA),
# 4 group member, 5 VAT group.
VAT_CODES = frozenset("12345")
# The tax authority's regional code (last two digits): the counties 02-20, 22 (Budapest
# before 2007), the Budapest directorates 41-44 and the large-taxpayer office 51.
COUNTY_CODES = frozenset(
    {f"{code:02d}" for code in range(2, 21)} | {"22", "41", "42", "43", "44", "51"}
)
# Separators people type between the three parts (or anywhere in a VAT number).
_SEPARATORS = re.compile(r"[\s\-./]")
_HUNGARIAN = re.compile(r"[0-9]{11}")
# A country code and at least one digit: an EU VAT number (ATU13585627, DE136695976).
_EU_VAT = re.compile(r"[A-Z]{2}[0-9A-Z+*]*[0-9][0-9A-Z+*]*")


class InvalidTaxNumber(ValueError):
    """The text is not a valid tax number (Hungarian message for the admin)."""


def normalize_tax_number(raw: str) -> str:
    """A Hungarian number in the dashed form `12345678-1-12`, a VAT number compacted.

    Raises `InvalidTaxNumber` with the reason in Hungarian.
    """
    text = (raw or "").strip()
    compact = _SEPARATORS.sub("", text).upper()
    if not compact:
        raise InvalidTaxNumber("Adja meg az adószámot.")
    if _EU_VAT.fullmatch(compact):
        return _normalize_eu_vat(compact)
    return _normalize_hungarian(compact)


def _normalize_hungarian(compact: str) -> str:
    if not _HUNGARIAN.fullmatch(compact):
        raise InvalidTaxNumber(
            "Érvénytelen adószám: a formátum 12345678-1-12 (8, 1 és 2 számjegy), "
            "külföldi partnernél országkóddal kezdődő közösségi adószám (pl. DE136695976)."
        )
    core, vat_code, county = compact[:8], compact[8], compact[9:]
    try:
        anum.validate(core)
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidTaxNumber("Érvénytelen adószám: az ellenőrző számjegy nem egyezik.") from exc
    if vat_code not in VAT_CODES:
        raise InvalidTaxNumber(
            "Érvénytelen adószám: a 9. számjegy (ÁFA-kód) csak 1 és 5 között lehet."
        )
    if county not in COUNTY_CODES:
        raise InvalidTaxNumber(
            f"Érvénytelen adószám: a {county} nem létező területi kód (az utolsó két számjegy)."
        )
    return f"{core}-{vat_code}-{county}"


def _normalize_eu_vat(compact: str) -> str:
    try:
        return str(eu_vat.validate(compact))
    except stdnum_errors.InvalidComponent as exc:
        if compact[:2].lower() not in eu_vat.MEMBER_STATES and compact[:2] != "EL":
            raise InvalidTaxNumber(
                f"Érvénytelen közösségi adószám: a(z) {compact[:2]} nem EU-tagállam kódja."
            ) from exc
        raise InvalidTaxNumber(
            "Érvénytelen közösségi adószám: a szám egy része nem értelmezhető."
        ) from exc
    except stdnum_errors.InvalidChecksum as exc:
        raise InvalidTaxNumber(
            "Érvénytelen közösségi adószám: az ellenőrző számjegy nem egyezik."
        ) from exc
    except stdnum_errors.ValidationError as exc:
        # InvalidFormat / InvalidLength: the country's own layout is not met.
        raise InvalidTaxNumber(
            f"Érvénytelen közösségi adószám: nem felel meg a(z) {compact[:2]} ország "
            "formátumának."
        ) from exc
