"""GLPI's legacy error answers: a 2-element JSON array `[CODE, message]` with an HTTP status.

The exact strings come from `src/Api/API.php` (see shared/contracts/glpi/error.*.json).
Many messages get the "; view documentation in your browser at <api>/#CODE" suffix; the
suffix needs the request's API base URL, so errors are built with `doc_base` at answer time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandboxes.glpi.jsontypes import JsonValue

PERMISSION_DENIED = "You don't have permission to perform this action."


@dataclass
class GlpiError(Exception):
    code: str
    message: JsonValue
    status: int = 400
    documented: bool = False
    """Whether GLPI appends the documentation link to the message."""
    doc_base_override: str | None = None
    """GLPI builds some messages before it knows url_base_api: the link base is then ''."""

    def body(self, api_url: str) -> list[JsonValue]:
        message = self.message
        if self.documented and isinstance(message, str):
            base = api_url if self.doc_base_override is None else self.doc_base_override
            message = f"{message}; view documentation in your browser at {base}/#{self.code}"
        return [self.code, message]


def documented(code: str, message: str, status: int = 400) -> GlpiError:
    return GlpiError(code, message, status, documented=True)


def api_disabled() -> GlpiError:
    return GlpiError("ERROR", "API disabled")


def not_allowed_ip(ip: str) -> GlpiError:
    return GlpiError(
        "ERROR_NOT_ALLOWED_IP",
        f"There isn't an active API client matching your IP address in the configuration ({ip})",
    )


def app_token_missing() -> GlpiError:
    return documented("ERROR_APP_TOKEN_PARAMETERS_MISSING", "missing parameter app_token")


def wrong_app_token() -> GlpiError:
    return documented("ERROR_WRONG_APP_TOKEN_PARAMETER", "parameter app_token seems wrong")


def json_payload_forbidden() -> GlpiError:
    error = documented(
        "ERROR_JSON_PAYLOAD_FORBIDDEN", "GET Request should not have json payload (http body)"
    )
    error.doc_base_override = ""
    return error


def json_payload_invalid() -> GlpiError:
    return GlpiError("ERROR_JSON_PAYLOAD_INVALID", "JSON payload seems not valid")


def login_parameters_missing() -> GlpiError:
    return documented(
        "ERROR_LOGIN_PARAMETERS_MISSING",
        "parameter(s) login, password or user_token are missing",
    )


def login_credentials_disabled() -> GlpiError:
    return GlpiError(
        "ERROR_LOGIN_WITH_CREDENTIALS_DISABLED",
        "usage of initSession resource with credentials is disabled",
    )


def login_user_token_invalid() -> GlpiError:
    return GlpiError("ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid", 401)


def login_failed() -> GlpiError:
    return GlpiError("ERROR_GLPI_LOGIN", "Incorrect username or password", 401)


def session_token_missing() -> GlpiError:
    return documented("ERROR_SESSION_TOKEN_MISSING", "parameter session_token is missing or empty")


def session_token_invalid() -> GlpiError:
    return GlpiError("ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid", 401)


def item_not_found() -> GlpiError:
    return GlpiError("ERROR_ITEM_NOT_FOUND", "Item not found", 404)


def right_missing() -> GlpiError:
    return GlpiError("ERROR_RIGHT_MISSING", PERMISSION_DENIED, 403)


def bad_array() -> GlpiError:
    return documented("ERROR_BAD_ARRAY", "input parameter must be an array of objects")


def method_not_allowed() -> GlpiError:
    return documented("ERROR_METHOD_NOT_ALLOWED", "Method Not Allowed", 405)


def itemtype_not_found() -> GlpiError:
    return documented(
        "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM",
        "resource not found or not an instance of CommonDBTM",
    )


def parent_itemtype_not_found() -> GlpiError:
    return documented(
        "ERROR_ITEMTYPE_NOT_FOUND_NOR_COMMONDBTM",
        "itemtype not found or not an instance of CommonDBTM",
    )


def resource_missing() -> GlpiError:
    return documented("ERROR_RESOURCE_MISSING", "resource parameter is missing")


def range_exceed_total(total: int) -> GlpiError:
    return documented(
        "ERROR_RANGE_EXCEED_TOTAL", f"Provided range exceed total count of data: {total}"
    )


def range_format() -> GlpiError:
    return documented("ERROR", "range must be in format : [start-end] with integers")


def search_bad_field() -> GlpiError:
    return documented("ERROR", "Bad field ID in search criteria")


def search_malformed() -> GlpiError:
    return documented("ERROR", "Malformed search criteria")


def sql_unknown_column(table: str, column: str, clause: str) -> GlpiError:
    return GlpiError(
        "ERROR_SQL",
        f"Unexpected SQL Error : Unknown column '{table}.{column}' in '{clause} clause'",
        500,
    )
