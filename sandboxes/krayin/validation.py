"""Laravel validation as Krayin's AttributeForm / LeadForm apply it (NOTES section 4).

Rules exist only for keys present in the request: an absent "required" attribute is not
validated at all (it fails later in the database). Messages are Laravel 10's English ones,
with the attribute name as Laravel displays it (underscores become spaces, dots stay).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from sandboxes.krayin.errors import ValidationFailed
from sandboxes.krayin.models import JsonObject, JsonValue

# Webkul\Core\Contracts\Validations\Decimal.
DECIMAL_PATTERN = re.compile(r"^\d*(\.\d{1,4})?$")
# Laravel's `email` rule (RFCValidation) accepts anything with one @ and no spaces.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+$")
UNIQUE_MESSAGE = "The value has already been taken."
DECIMAL_MESSAGE = "The field must be a decimal number."


def display(path: str) -> str:
    return path.replace("_", " ")


def is_blank(value: JsonValue) -> bool:
    """Laravel's `required` fails on null, "", whitespace-only strings and empty arrays."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


def decimal_text(value: JsonValue) -> str | None:
    """The text PHP sees for a price input, or None when it cannot be one."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value).removesuffix(".0") if value.is_integer() else repr(value)
    if isinstance(value, str):
        return value
    return None


def to_decimal(value: JsonValue) -> Decimal | None:
    text = decimal_text(value)
    if text is None or text == "":
        return None
    try:
        return Decimal(text).quantize(Decimal("0.0001"))
    except InvalidOperation:
        return None


class Validator:
    """Collects errors keyed by dot path, in the order the rules run; `raise_if_failed()`."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def raise_if_failed(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)

    # -- single-value rules ----------------------------------------------------------------

    def required(self, path: str, value: JsonValue) -> bool:
        """True when the value passed; later rules for this path are skipped otherwise."""
        if is_blank(value):
            self.fail(path, f"The {display(path)} field is required.")
            return False
        return True

    def decimal(self, path: str, value: JsonValue) -> None:
        text = decimal_text(value)
        if text is None or not DECIMAL_PATTERN.match(text):
            self.fail(path, DECIMAL_MESSAGE)

    def email(self, path: str, value: JsonValue) -> None:
        if not isinstance(value, str) or not EMAIL_PATTERN.match(value):
            self.fail(path, f"The {display(path)} must be a valid email address.")

    def date_after(self, path: str, value: JsonValue, parsed: date | None, after: date) -> None:
        if parsed is None:
            self.fail(path, f"The {display(path)} does not match the format Y-m-d.")
        elif parsed <= after:
            self.fail(path, f"The {display(path)} must be a date after {after.isoformat()}.")

    def exists(self, path: str, found: bool) -> None:
        if not found:
            self.fail(path, f"The selected {display(path)} is invalid.")

    # -- attribute types -------------------------------------------------------------------

    def labeled_values(
        self,
        path: str,
        value: JsonValue,
        *,
        required: bool,
        is_email: bool,
        taken: Callable[[str], bool],
    ) -> None:
        """email/phone attributes: `code`, `code.*.value` (+email, +unique), `code.*.label`."""
        if required and not self.required(path, value):
            return
        if not isinstance(value, list):
            return
        entries: list[JsonObject] = [item if isinstance(item, dict) else {} for item in value]
        # Laravel expands `code.*.value` for every index before it expands `code.*.label`.
        for index, entry in enumerate(entries):
            item_value = entry.get("value")
            value_path = f"{path}.{index}.value"
            if required and not self.required(value_path, item_value):
                continue
            if item_value is None:
                continue
            if is_email:
                self.email(value_path, item_value)
            if isinstance(item_value, str | int) and taken(str(item_value)):
                self.fail(value_path, UNIQUE_MESSAGE)
        if required:
            for index, entry in enumerate(entries):
                self.required(f"{path}.{index}.label", entry.get("label"))
