"""The bot API refuses phone numbers with letters (no keypad mapping of `abc` to 222)."""

import pytest

from kgc_erp.partners.phone import LETTERS_MESSAGE
from tests.factories import PartnerFactory

from .helpers import BotClient


@pytest.mark.parametrize("phone", ["12345abc", "0630123456a", "+3630ABC4567"])
def test_by_phone_with_letters_is_400_in_hungarian(api: BotClient, phone: str) -> None:
    # +36 1 234 5222 is what phonenumbers would make of "12345abc": it must not be found.
    PartnerFactory(phone="+3612345222")

    response = api.get(f"/api/v1/customers/by-phone/{phone}")

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_phone", "detail": LETTERS_MESSAGE}


def test_duplicates_with_letters_in_phone_is_400_in_hungarian(api: BotClient) -> None:
    response = api.get("/api/v1/customers/duplicates", {"phone": "06 30 12x 4567"})

    assert response.status_code == 400
    assert response.json() == {"code": "invalid_phone", "detail": LETTERS_MESSAGE}
