"""One API exchange as the handlers see it: the parsed request and the answer to send.

Kept apart from werkzeug so handlers are plain functions of data; app.py converts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sandboxes.glpi.errors import GlpiError
from sandboxes.glpi.jsontypes import JsonValue
from sandboxes.glpi.phpquery import PhpParams, flag, scalar

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


@dataclass
class ApiRequest:
    method: str
    parts: list[str]
    """The path after `apirest.php/`, split on `/`, empty segments dropped."""
    query: PhpParams
    headers: dict[str, str]
    """Header names lower-cased."""
    body: JsonValue
    body_sent: bool
    body_invalid: bool
    api_url: str
    client_ip: str

    def header(self, name: str) -> str | None:
        value = self.headers.get(name.lower())
        return value if value else None

    def param(self, name: str) -> str | None:
        """A parameter from the query string, or (for non-GET) the JSON body's top level."""
        value = scalar(self.query, name)
        if value is not None:
            return value
        if isinstance(self.body, dict):
            raw = self.body.get(name)
            if isinstance(raw, bool):
                return "true" if raw else "false"
            if isinstance(raw, (str, int, float)):
                return str(raw)
        return None

    def flag(self, name: str, default: bool) -> bool:
        if scalar(self.query, name) is not None:
            return flag(self.query, name, default)
        value = self.param(name)
        if value is None:
            return default
        return value.strip().lower() not in ("", "0", "false")

    @property
    def sanitized_output(self) -> bool:
        """GLPI returns HTML-encoded text unless `X-GLPI-Sanitized-Content: false`."""
        value = self.header("X-GLPI-Sanitized-Content")
        return value is None or value.strip().lower() not in ("false", "0")


@dataclass
class ApiResponse:
    status: int
    body: JsonValue
    headers: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None

    def encode(self) -> bytes:
        # json_encode with JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES: compact, raw UTF-8.
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode()


def error_response(error: GlpiError, api_url: str) -> ApiResponse:
    return ApiResponse(error.status, error.body(api_url), error_code=error.code)
