"""`manage.py ensure_demo_api_key`: one working demo key, the same on every `make run`."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.support_plugin.bot_api.keys import find_key, revoke_api_key
from apps.support_plugin.bot_api.models import ApiKey
from apps.support_plugin.bot_api.scopes import Scope
from tests.factories import PartnerFactory, headquarters

from .helpers import BotClient

pytestmark = pytest.mark.django_db


def ensure(key_file: Path) -> str:
    out = StringIO()
    call_command("ensure_demo_api_key", key_file=key_file, stdout=out)
    return out.getvalue()


def test_key_is_created_once_and_reused(tmp_path: Path) -> None:
    key_file = tmp_path / "demo-api-key"

    first = ensure(key_file)
    second = ensure(key_file)

    raw_key = key_file.read_text()
    assert raw_key in first and raw_key in second
    assert ApiKey.objects.count() == 1
    api_key = find_key(raw_key)
    assert api_key is not None and api_key.is_usable()
    assert api_key.tenant == headquarters()
    assert set(api_key.scopes) == {Scope.READ.value, Scope.WRITE.value}
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_a_revoked_key_is_replaced(tmp_path: Path) -> None:
    key_file = tmp_path / "demo-api-key"
    ensure(key_file)
    old = key_file.read_text()
    revoke_api_key(find_key(old))  # type: ignore[arg-type]

    ensure(key_file)

    assert key_file.read_text() != old
    assert find_key(key_file.read_text()).is_usable()  # type: ignore[union-attr]


def test_the_demo_key_answers_the_api(tmp_path: Path, support_on) -> None:  # type: ignore[no-untyped-def]
    key_file = tmp_path / "demo-api-key"
    ensure(key_file)
    PartnerFactory(name="Demó Dénes", phone="+36301234567")

    response = BotClient(key_file.read_text()).get("/api/v1/customers/by-phone/06301234567")

    assert response.status_code == 200
    assert response.json()["name"] == "Demó Dénes"
