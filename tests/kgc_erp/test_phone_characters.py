"""Phone numbers with letters are refused everywhere, never read as keypad digits."""

import pytest
from django.core.exceptions import ValidationError

from kgc_erp.partners.models import Partner
from kgc_erp.partners.phone import LETTERS_MESSAGE, InvalidPhoneNumber, normalize_phone
from tests.factories import headquarters


@pytest.mark.parametrize(
    "raw",
    ["12345abc", "06 30 ABC 4567", "+36 30 123 456x", "1-800-FLOWERS", "36+301234567",
     "06301234567 ext 12", "06_30_123_4567", "+36 30 123 4567#"],
)
def test_letters_and_foreign_characters_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as excinfo:
        normalize_phone(raw)
    assert str(excinfo.value) == LETTERS_MESSAGE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("(06 30) 123-4567", "+36301234567"), ("06.30.123.4567", "+36301234567"),
     ("+36 (30) 123 4567", "+36301234567"), (" 06/30/1234567 ", "+36301234567")],
)
def test_the_usual_punctuation_is_still_accepted(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.django_db
def test_the_model_refuses_letters_on_save_and_clean() -> None:
    partner = Partner(tenant=headquarters(), name="Betűs Béla", phone="12345abc")
    with pytest.raises(ValidationError) as excinfo:
        partner.full_clean()
    assert excinfo.value.message_dict["phone"] == [LETTERS_MESSAGE]
    with pytest.raises(ValidationError):
        Partner(tenant=headquarters(), name="Betűs Béla", phone="12345abc").save()
    assert not Partner.objects.filter(name="Betűs Béla").exists()
