"""One API call as the endpoint handlers see it: the sandbox, the caller and the input."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sandboxes.krayin.errors import ServerError
from sandboxes.krayin.models import JsonObject, JsonValue, User
from sandboxes.krayin.sandbox import Sandbox
from sandboxes.krayin.state import Tables

# A handler's answer: HTTP status and JSON body.
Reply = tuple[int, JsonObject]


@dataclass
class Call:
    sandbox: Sandbox
    user: User | None
    body: JsonObject
    args: dict[str, str]
    # Absolute URL of the requested path without query: the paginator's `path`.
    url: str

    @property
    def db(self) -> Tables:
        return self.sandbox.db

    @property
    def tz(self) -> ZoneInfo:
        return self.sandbox.tz

    @property
    def me(self) -> User:
        if self.user is None:  # routes behind auth:sanctum always have one
            raise ServerError("No authenticated user")
        return self.user


def undefined_key(key: str) -> ServerError:
    """What PHP 8 raises when a controller reads an absent array key."""
    return ServerError(f'Undefined array key "{key}"')


def not_null(column: str, table: str) -> ServerError:
    return ServerError(
        f"SQLSTATE[23000]: Integrity constraint violation: 1048 Column '{column}' cannot be "
        f"null (table {table})",
        exception="Illuminate\\Database\\QueryException",
    )


def foreign_key(column: str, table: str) -> ServerError:
    return ServerError(
        f"SQLSTATE[23000]: Integrity constraint violation: 1452 Cannot add or update a child "
        f"row: a foreign key constraint fails ({table}.{column})",
        exception="Illuminate\\Database\\QueryException",
    )


def as_int(value: JsonValue) -> int | None:
    """A lookup id from JSON or a form field; None for null/""; 500 for garbage."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ServerError(
        f"SQLSTATE[22007]: Incorrect integer value: '{value}'",
        exception="Illuminate\\Database\\QueryException",
    )


def as_text(value: JsonValue) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)
    raise ServerError("Array to string conversion")


def id_list(value: JsonValue) -> list[int]:
    if not isinstance(value, list):
        return []
    ids = [as_int(v) for v in value]
    return [i for i in ids if i is not None]
