"""Twenty's error vocabulary (NOTES section 8) and how errors are rendered in responses.

Resolvers raise TwentyError; the HTTP layer turns every GraphQL error into the
`{"message", "path", "extensions": {"code", "userFriendlyMessage", ...}}` shape Twenty sends.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from graphql import GraphQLError


class ErrorCode(StrEnum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    CONFLICT = "CONFLICT"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    TIMEOUT = "TIMEOUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    METADATA_VALIDATION_FAILED = "METADATA_VALIDATION_FAILED"


# The error hook replaces a missing userFriendlyMessage with this default
# (use-graphql-error-handler.hook.ts).
DEFAULT_USER_FRIENDLY_MESSAGE = "An error occurred."


class TwentyError(Exception):
    """An error Twenty reports inside a 200 response's `errors` array."""

    def __init__(
        self,
        message: str,
        code: ErrorCode,
        *,
        user_friendly_message: str | None = None,
        sub_code: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.user_friendly_message = user_friendly_message or DEFAULT_USER_FRIENDLY_MESSAGE
        self.sub_code = sub_code
        self.extra = extra or {}

    def extensions(self) -> dict[str, Any]:
        ext: dict[str, Any] = {"code": str(self.code)}
        if self.sub_code:
            ext["subCode"] = self.sub_code
        ext.update(self.extra)
        ext["userFriendlyMessage"] = self.user_friendly_message
        return ext

    def as_response_error(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": self.extensions()}


def record_not_found() -> TwentyError:
    return TwentyError(
        "Record not found",
        ErrorCode.NOT_FOUND,
        sub_code="RECORD_NOT_FOUND",
        user_friendly_message="This record does not exist or has been deleted.",
    )


def bad_input(message: str, *, sub_code: str | None = None) -> TwentyError:
    return TwentyError(
        message, ErrorCode.BAD_USER_INPUT, user_friendly_message=message, sub_code=sub_code
    )


_UNKNOWN_FIELD = r"Expected value of type '([^']+)' not to include unknown field '([^']+)'"
_NOT_DEFINED = r"Field '\2' is not defined by type '\1'."
_UNKNOWN_FIELD_REWRITES = (
    (re.compile(_UNKNOWN_FIELD + r", found: .*$", re.DOTALL), _NOT_DEFINED),
    (
        re.compile(_UNKNOWN_FIELD + r"\. (Did you mean [^?]*\?) Found: .*$", re.DOTALL),
        r"Field '\2' is not defined by type '\1'. \3",
    ),
    (re.compile(_UNKNOWN_FIELD + r"\."), r"Field '\2' is not defined by type '\1'."),
)
_QUOTED_NAME = re.compile(r"'([$_A-Za-z][_0-9A-Za-z]*[!\]\[]*|\[[_0-9A-Za-z!\[\]]+)'")


def js_wording(message: str) -> str:
    """Reword graphql-core messages as graphql-js (Twenty's engine) words them.

    graphql-js quotes names with double quotes and reports an unknown input field as
    `Field "email" is not defined by type "PersonCreateInput". Did you mean "emails"?`
    """
    for pattern, replacement in _UNKNOWN_FIELD_REWRITES:
        message = pattern.sub(replacement, message)
    return _QUOTED_NAME.sub(r'"\1"', message)


def format_graphql_error(error: GraphQLError, default_code: ErrorCode) -> dict[str, Any]:
    """Render one graphql-core error the way Twenty's error hook renders it."""
    formatted: dict[str, Any] = {"message": js_wording(error.message)}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    if error.path is not None:
        formatted["path"] = list(error.path)
    original = error.original_error
    if isinstance(original, TwentyError):
        formatted["message"] = original.message
        formatted["extensions"] = original.extensions()
        return formatted
    if original is not None and not isinstance(original, GraphQLError):
        # An unexpected exception is a sandbox bug; say so instead of hiding it.
        formatted["message"] = f"Internal server error: {original!r}"
        formatted["extensions"] = {
            "code": str(ErrorCode.INTERNAL_SERVER_ERROR),
            "userFriendlyMessage": DEFAULT_USER_FRIENDLY_MESSAGE,
        }
        return formatted
    extensions = dict(error.extensions or {})
    extensions.setdefault("code", str(default_code))
    extensions.setdefault("userFriendlyMessage", DEFAULT_USER_FRIENDLY_MESSAGE)
    formatted["extensions"] = extensions
    return formatted


def metadata_validation_failed(
    metadata_name: str, messages: list[str], *, action: str, entity: dict[str, Any]
) -> TwentyError:
    """The METADATA_VALIDATION_FAILED shape of workspaceMigrationBuilderExceptionFormatter."""
    error_code = (
        "INVALID_OBJECT_INPUT" if metadata_name == "objectMetadata" else "INVALID_FIELD_INPUT"
    )
    failure = {
        "type": action,
        "metadataName": metadata_name,
        "status": "fail",
        "flatEntityMinimalInformation": entity,
        "errors": [{"code": error_code, "message": m, "userFriendlyMessage": m} for m in messages],
    }
    what = "object" if metadata_name == "objectMetadata" else "field"
    gerund = {"create": "creating", "update": "updating", "delete": "deleting"}[action]
    return TwentyError(
        f"Multiple validation errors occurred while {gerund} {what}",
        ErrorCode.METADATA_VALIDATION_FAILED,
        user_friendly_message="Metadata validation failed",
        extra={
            "errors": {metadata_name: [failure]},
            "summary": {metadata_name: 1, "totalErrors": len(messages)},
            "message": f"Validation failed for 1 {metadata_name}",
        },
    )
