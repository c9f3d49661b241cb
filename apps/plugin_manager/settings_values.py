"""Typed plugin setting values: coercion, the effective-value merge, and validation.

Effective settings of a scope are layered: schema default <- the Django setting named by
the field's `env` <- the global row <- the tenant row. Empty values ("" / None) in a layer
mean "not set here" so an empty env variable never hides a code default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from . import crypto
from .plugins import SettingField, SettingKind

_TRUE = {"1", "true", "yes", "on", "igen"}
_FALSE = {"0", "false", "no", "off", "nem"}
_TEXT_KINDS = (SettingKind.SECRET, SettingKind.STRING, SettingKind.URL)
_url_validator = URLValidator(schemes=("http", "https"))


class SettingValueError(ValueError):
    """A value does not fit its field's kind; the message is Hungarian (shown to admins)."""


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def coerce_value(field: SettingField, value: object) -> object:
    """The value converted to the field's kind, or SettingValueError."""
    kind = SettingKind(field.kind)
    if kind is SettingKind.INTEGER:
        if isinstance(value, bool):
            raise SettingValueError("Egész számot adjon meg.")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise SettingValueError("Egész számot adjon meg.") from None
    if kind is SettingKind.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise SettingValueError("Igen/nem értéket adjon meg.")
    if not isinstance(value, str | int | float):
        raise SettingValueError("Szöveges értéket adjon meg.")
    text = str(value).strip()
    if kind is SettingKind.URL:
        try:
            _url_validator(text)
        except ValidationError:
            raise SettingValueError("Érvényes http(s) URL-t adjon meg.") from None
        return text.rstrip("/")
    return text


def _env_layer(schema: Sequence[SettingField]) -> dict[str, object]:
    layer: dict[str, object] = {}
    for field in schema:
        if field.env:
            value = getattr(django_settings, field.env, None)
            if not is_empty(value):
                layer[field.name] = value
    return layer


def _row_layer(schema: Sequence[SettingField], stored: Mapping[str, object]) -> dict[str, object]:
    """Decrypted values of one stored row, limited to the schema's fields."""
    layer: dict[str, object] = {}
    for field in schema:
        value = stored.get(field.name)
        if is_empty(value):
            continue
        if field.is_secret and crypto.is_encrypted(value):
            value = crypto.decrypt(str(value))
        layer[field.name] = value
    return layer


def effective_settings(
    schema: Sequence[SettingField],
    global_stored: Mapping[str, object] | None,
    tenant_stored: Mapping[str, object] | None,
) -> dict[str, object]:
    """Merged, decrypted and (where possible) typed values for every field of the schema.

    A value that does not coerce is passed through as is: validation reports it when the
    plugin is switched on, and a handler should not crash on a default it never uses.
    """
    values: dict[str, object] = {field.name: field.default for field in schema}
    values.update(_env_layer(schema))
    values.update(_row_layer(schema, global_stored or {}))
    values.update(_row_layer(schema, tenant_stored or {}))
    for field in schema:
        value = values[field.name]
        if is_empty(value):
            values[field.name] = "" if field.kind in _TEXT_KINDS else None
            continue
        with contextlib.suppress(SettingValueError):
            values[field.name] = coerce_value(field, value)
    return values


def validate_effective(schema: Sequence[SettingField], values: Mapping[str, object]) -> None:
    """Raises ValidationError keyed by field name when the values cannot run the plugin."""
    errors: dict[str, list[str]] = {}
    for field in schema:
        value = values.get(field.name)
        if is_empty(value):
            if field.required:
                errors[field.name] = [f"A(z) „{field.label}” mező kitöltése kötelező."]
            continue
        try:
            coerce_value(field, value)
        except SettingValueError as exc:
            errors[field.name] = [f"{field.label}: {exc}"]
    if errors:
        raise ValidationError(errors)


def encode_for_storage(
    schema: Sequence[SettingField],
    current: Mapping[str, object],
    changes: Mapping[str, object],
    clear: Iterable[str] = (),
) -> dict[str, object]:
    """The new stored dict of a row after applying `changes` (already typed values).

    Empty values remove the key (the scope inherits again); secrets are encrypted; names
    in `clear` are removed even for secrets, whose empty input otherwise means "keep".
    Unknown keys raise ValidationError, so a typo never silently stores nothing.
    """
    by_name = {field.name: field for field in schema}
    unknown = sorted(set(changes) - set(by_name))
    if unknown:
        raise ValidationError({name: ["Ismeretlen beállítás."] for name in unknown})
    stored = {k: v for k, v in current.items() if k in by_name}
    for name in clear:
        stored.pop(name, None)
    errors: dict[str, list[str]] = {}
    for name, value in changes.items():
        field = by_name[name]
        if is_empty(value):
            if not field.is_secret:
                stored.pop(name, None)
            continue
        try:
            typed = coerce_value(field, value)
        except SettingValueError as exc:
            errors[name] = [f"{field.label}: {exc}"]
            continue
        stored[name] = crypto.encrypt(str(typed)) if field.is_secret else typed
    if errors:
        raise ValidationError(errors)
    return stored


__all__ = (
    "SettingValueError",
    "coerce_value",
    "effective_settings",
    "encode_for_storage",
    "is_empty",
    "validate_effective",
)
