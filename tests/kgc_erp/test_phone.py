import pytest

from kgc_erp.partners.phone import InvalidPhoneNumber, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+36 30 123 4567", "+36301234567"),
        ("06301234567", "+36301234567"),
        ("06-30/123-4567", "+36301234567"),
        ("+36301234567", "+36301234567"),
        ("06 1 234 5678", "+3612345678"),  # Budapest landline
        ("+49 30 901820", "+4930901820"),  # Berlin
        ("+43 664 1234567", "+436641234567"),  # Austrian mobile
    ],
)
def test_valid_numbers_are_stored_in_e164(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "abc", "0630", "+36 30 123", "12345678901234567"])
def test_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(raw)
