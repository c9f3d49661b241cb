"""Tax number validation: Hungarian adószám and EU VAT numbers, Hungarian messages."""

import pytest
from stdnum.hu import anum

from kgc_erp.partners.tax_number import InvalidTaxNumber, normalize_tax_number


def test_check_digit_rule_matches_stdnum_test_vector() -> None:
    # python-stdnum's own documented vector: HU-12892312 is valid, ...13 is not.
    assert anum.is_valid("12892312") and not anum.is_valid("12892313")
    digits = [int(d) for d in "1289231"]
    weighted = sum(w * d for w, d in zip((9, 7, 3, 1, 9, 7, 3), digits, strict=True))
    assert (10 - weighted % 10) % 10 == 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12892312-2-13", "12892312-2-13"),
        ("12892312213", "12892312-2-13"),
        (" 1289 2312 2 13 ", "12892312-2-13"),
        ("12892312-1-41", "12892312-1-41"),
        ("12892312-5-51", "12892312-5-51"),
        ("12892312-3-02", "12892312-3-02"),
        ("12892312-2-22", "12892312-2-22"),
        ("DE136695976", "DE136695976"),
        ("de 136 695 976", "DE136695976"),
        ("ATU13585627", "ATU13585627"),
        ("FR40303265045", "FR40303265045"),
        ("HU12892312", "HU12892312"),
    ],
)
def test_valid_tax_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalize_tax_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("12892313-2-13", "Érvénytelen adószám: az ellenőrző számjegy nem egyezik."),
        ("12892312-6-13", "Érvénytelen adószám: a 9. számjegy (ÁFA-kód) csak 1 és 5 között lehet."),
        ("12892312-0-13", "Érvénytelen adószám: a 9. számjegy (ÁFA-kód) csak 1 és 5 között lehet."),
        ("12892312-2-21", "Érvénytelen adószám: a 21 nem létező területi kód"),
        ("12892312-2-01", "Érvénytelen adószám: a 01 nem létező területi kód"),
        ("1289231-2-13", "Érvénytelen adószám: a formátum 12345678-1-12"),
        ("12345abc", "Érvénytelen adószám: a formátum 12345678-1-12"),
        ("DE123456789", "Érvénytelen közösségi adószám: az ellenőrző számjegy nem egyezik."),
        ("ATU12345678", "Érvénytelen közösségi adószám: az ellenőrző számjegy nem egyezik."),
        ("XX123456789", "Érvénytelen közösségi adószám: a(z) XX nem EU-tagállam kódja."),
        ("DE12", "Érvénytelen közösségi adószám: nem felel meg a(z) DE ország formátumának."),
    ],
)
def test_invalid_tax_numbers_get_a_hungarian_reason(raw: str, message: str) -> None:
    with pytest.raises(InvalidTaxNumber) as excinfo:
        normalize_tax_number(raw)
    assert str(excinfo.value).startswith(message)
