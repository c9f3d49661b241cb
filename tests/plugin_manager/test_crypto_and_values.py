"""Secrets at rest (Fernet, key rotation) and typed setting values."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import override_settings

from apps.plugin_manager import crypto
from apps.plugin_manager.plugins import SettingField, SettingKind
from apps.plugin_manager.settings_values import (
    SettingValueError,
    coerce_value,
    encode_for_storage,
    validate_effective,
)

SCHEMA = (
    SettingField("url", "Alap URL", SettingKind.URL, required=True),
    SettingField("key", "API kulcs", SettingKind.SECRET, required=True),
    SettingField("limit", "Limit", SettingKind.INTEGER, default=100),
    SettingField("debug", "Hibakeresés", SettingKind.BOOLEAN, default=False),
)


def test_secrets_round_trip_and_are_not_stored_in_clear() -> None:
    stored = crypto.encrypt("sk-live-123456")
    assert stored.startswith("enc:v1:") and "sk-live" not in stored
    assert crypto.encrypt("sk-live-123456") != stored  # random IV each time
    assert crypto.decrypt(stored) == "sk-live-123456"


def test_key_rotation_keeps_old_secrets_readable() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEY=old_key):
        stored = crypto.encrypt("régi titok")
    with override_settings(FIELD_ENCRYPTION_KEY=f"{new_key},{old_key}"):
        assert crypto.decrypt(stored) == "régi titok"
        assert crypto.decrypt(crypto.encrypt("új")) == "új"
    with override_settings(FIELD_ENCRYPTION_KEY=new_key), \
            pytest.raises(crypto.SecretDecryptionError):
        crypto.decrypt(stored)


def test_a_remembered_secret_is_forgotten_when_the_keys_change() -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEY=old_key):
        stored = crypto.encrypt("aláíró titok")
        assert crypto.decrypt_remembered(stored) == "aláíró titok"
        assert crypto.decrypt_remembered(stored) == "aláíró titok"  # from memory
        assert crypto.decrypt_remembered(crypto.encrypt("másik")) == "másik"
    with override_settings(FIELD_ENCRYPTION_KEY=new_key), \
            pytest.raises(crypto.SecretDecryptionError):
        crypto.decrypt_remembered(stored)  # not answered from memory under other keys


def test_a_malformed_key_is_a_configuration_error() -> None:
    with override_settings(FIELD_ENCRYPTION_KEY="not-a-fernet-key"), \
            pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_mask_never_reveals_more_than_four_characters() -> None:
    assert crypto.mask("abcdefgh12345678") == "••••5678"
    assert crypto.mask("short") == "••••"
    assert crypto.mask("") == ""


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        (SCHEMA[0], " https://x.example.hu/api/ ", "https://x.example.hu/api"),
        (SCHEMA[2], "42", 42),
        (SCHEMA[3], "igen", True),
        (SCHEMA[3], "false", False),
    ],
)
def test_values_are_coerced_to_their_kind(field, raw, expected) -> None:
    assert coerce_value(field, raw) == expected


@pytest.mark.parametrize(("field", "raw"), [(SCHEMA[0], "ftp://x"), (SCHEMA[2], "4.5"),
                                             (SCHEMA[2], True), (SCHEMA[3], "talán")])
def test_bad_values_are_refused(field, raw) -> None:
    with pytest.raises(SettingValueError):
        coerce_value(field, raw)


def test_validation_errors_are_keyed_by_field_with_hungarian_messages() -> None:
    with pytest.raises(ValidationError) as error:
        validate_effective(SCHEMA, {"url": "", "key": None, "limit": "x", "debug": False})
    assert error.value.message_dict == {
        "url": ["A(z) „Alap URL” mező kitöltése kötelező."],
        "key": ["A(z) „API kulcs” mező kitöltése kötelező."],
        "limit": ["Limit: Egész számot adjon meg."],
    }


def test_storage_encrypts_secrets_and_empty_means_inherit() -> None:
    stored = encode_for_storage(SCHEMA, {}, {"url": "https://a.hu", "key": "titok", "limit": 5})
    assert crypto.decrypt(stored["key"]) == "titok"
    assert stored["limit"] == 5
    kept = encode_for_storage(SCHEMA, stored, {"url": "", "key": ""})
    assert "url" not in kept and kept["key"] == stored["key"]
    cleared = encode_for_storage(SCHEMA, stored, {}, clear=["key"])
    assert "key" not in cleared
    with pytest.raises(ValidationError) as error:
        encode_for_storage(SCHEMA, {}, {"nincs_ilyen": 1})
    assert "nincs_ilyen" in error.value.message_dict
