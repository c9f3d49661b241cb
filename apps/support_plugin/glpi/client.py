"""HTTP client of GLPI's legacy REST API (``apirest.php``). HTTP only: no ORM here.

Facts from ``shared/contracts/glpi/NOTES.md`` that shape this module:

* one session per tenant and process (``sessions.py``): ``initSession`` with ``App-Token``
  and ``Authorization: user_token ...``, then ``Session-Token`` + ``App-Token`` on every
  call; an expired session answers 401 ``ERROR_SESSION_TOKEN_INVALID``: re-init once and
  retry (§2, §7);
* writes wrap their fields in ``{"input": ...}``; a GET must carry no body (§1);
* create answers 201 ``{"id", "message"}``, update a list ``[{"<id>": true, ...}]`` (§4);
* lists page with ``range=a-b`` and answer ``Content-Range: a-b/total`` (§4);
* ``X-GLPI-Sanitized-Content: false`` so text reads back as written (§4, content encoding);
* errors are ``[CODE, message]``, turned into the typed errors of ``errors.py``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import requests

from .errors import (
    AUTH_CODES,
    SESSION_INVALID,
    GlpiAuthError,
    GlpiBadResponse,
    GlpiError,
    GlpiNotFound,
    GlpiRequestError,
    GlpiRightMissing,
    GlpiServerError,
    GlpiSessionInvalid,
    GlpiUnavailable,
)

if TYPE_CHECKING:
    from .sessions import GlpiSession

log = logging.getLogger("support_plugin.glpi.client")

# (connect, read) seconds: a hung GLPI must not hold a worker; the bus retries later.
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
PAGE_SIZE = 100
Params = Mapping[str, str | int]
_CONTENT_RANGE = re.compile(r"^\s*(\d+)-(-?\d+)/(\d+)\s*$")


@dataclass(frozen=True)
class Connection:
    """Where and as whom to talk to one GLPI."""

    api_url: str  # ".../apirest.php"
    user_token: str
    app_token: str = ""
    timeout: tuple[float, float] = DEFAULT_TIMEOUT

    @property
    def base(self) -> str:
        return self.api_url.rstrip("/")

    def headers(self, session_token: str | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "X-GLPI-Sanitized-Content": "false"}
        if self.app_token:
            headers["App-Token"] = self.app_token
        if session_token is None:
            headers["Authorization"] = f"user_token {self.user_token}"
        else:
            headers["Session-Token"] = session_token
        return headers


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, object]]
    total: int


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: object


def _snippet(text: str, limit: int = 120) -> str:
    return " ".join(text.split())[:limit]


def _decode(response: requests.Response, what: str) -> Answer:
    """The JSON answer, or the typed error it stands for."""
    status = response.status_code
    content_type = response.headers.get("Content-Type", "")
    try:
        body: object = response.json() if response.content else None
    except ValueError:
        text = response.text
        if status >= 500:
            error: GlpiError = GlpiServerError(
                f"{what}: HTTP {status} with a non-JSON body ({content_type}): {_snippet(text)!r}",
                http_status=status)
        elif 200 <= status < 300:
            error = GlpiBadResponse(
                f"{what}: HTTP {status} with a body that is not JSON ({content_type}): "
                f"{_snippet(text)!r}", http_status=status)
        else:
            error = GlpiRequestError(
                f"{what}: HTTP {status} with a non-JSON body: {_snippet(text)!r}",
                http_status=status)
        error.status, error.body = status, text
        raise error from None
    if 200 <= status < 300 and status != 207:  # 207 = a partial bulk failure
        return Answer(status, response.headers, body)
    raise _error_for(status, body, what)


def _error_for(status: int, body: object, what: str) -> GlpiError:
    code = ""
    message: object = body
    if isinstance(body, list) and len(body) == 2 and isinstance(body[0], str):
        code, message = body[0], body[1]
    text = f"{what}: HTTP {status} {code or ''} {message if message is not None else ''}".strip()
    error: GlpiError
    if code == SESSION_INVALID:
        error = GlpiSessionInvalid(text, http_status=status)
    elif code in AUTH_CODES or (code == "ERROR" and message == "API disabled"):
        error = GlpiAuthError(text, http_status=status)
    elif status == 403:
        error = GlpiRightMissing(text, http_status=status)
    elif status == 404:
        error = GlpiNotFound(text, http_status=status)
    elif status >= 500:
        error = GlpiServerError(text, http_status=status)
    else:
        error = GlpiRequestError(text, http_status=status)
    error.code, error.status, error.body = code, status, body
    return error


def content_range_total(headers: Mapping[str, str], fallback: int) -> int:
    """``Content-Range: 0-14/37`` -> 37; absent (total 0) -> ``fallback``."""
    match = _CONTENT_RANGE.match(headers.get("Content-Range", ""))
    return int(match.group(3)) if match else fallback


def _require_dict(body: object, what: str) -> dict[str, object]:
    if not isinstance(body, dict):
        raise GlpiBadResponse(f"{what}: expected a JSON object, got {type(body).__name__}")
    return cast(dict[str, object], body)


def _require_rows(body: object, what: str) -> list[dict[str, object]]:
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise GlpiBadResponse(f"{what}: expected a JSON list of objects")
    return cast(list[dict[str, object]], body)


def require_int(row: Mapping[str, object], key: str, what: str) -> int:
    value = row.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise GlpiBadResponse(f"{what}: field {key!r} missing or not an integer ({value!r})")
    return value


class GlpiClient:
    """One method per remote operation, on the process's shared session of a tenant."""

    def __init__(self, session: GlpiSession) -> None:
        self.session = session
        self.connection = session.connection

    # -- transport ------------------------------------------------------------------------

    def _send(self, method: str, path: str, token: str | None, params: Params | None,
              body: object | None) -> Answer:
        url = f"{self.connection.base}/{path.lstrip('/')}"
        what = f"{method} {path}"
        data = None
        if body is not None:
            if method == "GET":
                raise ValueError("GLPI refuses a body on GET (ERROR_JSON_PAYLOAD_FORBIDDEN)")
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            response = self.session.http.request(
                method, url, params=params, data=data,
                headers=self.connection.headers(token), timeout=self.connection.timeout)
        except requests.Timeout as exc:
            raise GlpiUnavailable(f"{what}: timeout") from exc
        except requests.RequestException as exc:
            raise GlpiUnavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        return _decode(response, what)

    def _call(self, method: str, path: str, *, params: Params | None = None,
              body: object | None = None) -> Answer:
        """A call on the shared session; an expired session is re-initialised once."""
        token = self.session.token(self)
        try:
            return self._send(method, path, token, params, body)
        except GlpiSessionInvalid:
            log.info("glpi.session.expired url=%s: re-initialising", self.connection.base)
            fresh = self.session.renew(self, expired=token)
            return self._send(method, path, fresh, params, body)

    # -- session (NOTES §2) ---------------------------------------------------------------

    def init_session(self) -> str:
        answer = self._send("GET", "initSession", None, None, None)
        token = _require_dict(answer.body, "initSession").get("session_token")
        if not isinstance(token, str) or not token:
            raise GlpiBadResponse("initSession: no session_token in the answer")
        return token

    def kill_session(self, token: str) -> None:
        self._send("GET", "killSession", token, None, None)

    def get_active_profile(self) -> dict[str, object]:
        body = _require_dict(self._call("GET", "getActiveProfile").body, "getActiveProfile")
        return body

    def get_full_session(self) -> dict[str, object]:
        body = _require_dict(self._call("GET", "getFullSession").body, "getFullSession")
        return _require_dict(body.get("session"), "getFullSession.session")

    # -- items (NOTES §4) -----------------------------------------------------------------

    def create_item(self, itemtype: str, fields: Mapping[str, object]) -> int:
        """``POST :itemtype/`` with ``{"input": {...}}``; returns the new id."""
        answer = self._call("POST", f"{itemtype}/", body={"input": dict(fields)})
        return require_int(_require_dict(answer.body, f"create {itemtype}"), "id",
                           f"create {itemtype}")

    def update_item(self, itemtype: str, item_id: int, fields: Mapping[str, object]) -> None:
        """``PUT :itemtype/:id``: answered with ``[{"<id>": true, "message": ""}]``."""
        what = f"update {itemtype} {item_id}"
        answer = self._call("PUT", f"{itemtype}/{int(item_id)}", body={"input": dict(fields)})
        rows = _require_rows(answer.body, what)
        if not rows or rows[0].get(str(item_id)) is not True:
            raise GlpiBadResponse(f"{what}: GLPI did not confirm the update ({rows!r:.200})")

    def purge_item(self, itemtype: str, item_id: int) -> bool:
        """``DELETE :itemtype/:id?force_purge=true``: removed for good (without the flag
        GLPI only sets ``is_deleted=1``, NOTES §4; a ticket's followups and actors go with
        it, a user's e-mail addresses too). False when it was gone already (GLPI answers
        400 ERROR_GLPI_DELETE "Item not found" for an unknown id, so a GET decides)."""
        what = f"purge {itemtype} {item_id}"
        try:
            answer = self._call("DELETE", f"{itemtype}/{int(item_id)}",
                                params={"force_purge": "true", "history": "false"})
        except GlpiRequestError:
            try:
                self.get_item(itemtype, item_id)
            except GlpiNotFound:
                return False
            raise
        rows = _require_rows(answer.body, what)
        if not rows or rows[0].get(str(item_id)) is not True:
            raise GlpiBadResponse(f"{what}: GLPI did not confirm the purge ({rows!r:.200})")
        return True

    def get_item(self, itemtype: str, item_id: int) -> dict[str, object]:
        answer = self._call("GET", f"{itemtype}/{int(item_id)}",
                            params={"get_hateoas": "false"})
        return _require_dict(answer.body, f"get {itemtype} {item_id}")

    def list_page(self, path: str, *, start: int = 0, size: int = PAGE_SIZE,
                  params: Params | None = None) -> Page:
        """One page of ``GET :itemtype/`` or ``GET :itemtype/:id/:sub_itemtype`` (always
        with an explicit range: GLPI's default page is the session's list_limit)."""
        query: dict[str, str | int] = {"range": f"{start}-{start + size - 1}",
                                       "get_hateoas": "false"}
        query.update(params or {})
        answer = self._call("GET", path, params=query)
        rows = _require_rows(answer.body, f"list {path}")
        return Page(rows, content_range_total(answer.headers, start + len(rows)))

    def list_all(self, path: str, *, params: Params | None = None,
                 size: int = PAGE_SIZE) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        start = 0
        while True:
            page = self.list_page(path, start=start, size=size, params=params)
            rows.extend(page.rows)
            start += len(page.rows)
            if not page.rows or start >= page.total:
                return rows

    def find_by_text(self, itemtype: str, column: str, exact: str) -> list[dict[str, object]]:
        """Rows whose ``column`` equals ``exact`` (``searchText`` with both anchors)."""
        return self.list_page(f"{itemtype}/", size=10,
                              params={f"searchText[{column}]": f"^{exact}$"}).rows

    def find_containing(self, path: str, column: str, text: str) -> list[dict[str, object]]:
        """Rows of a list whose ``column`` contains ``text`` (our markers)."""
        return self.list_page(path, size=10, params={f"searchText[{column}]": text}).rows

    def search(self, itemtype: str, criteria: Sequence[Mapping[str, str | int]], *,
               display: Sequence[int], start: int = 0, size: int = PAGE_SIZE,
               sort: int | None = None, order: str = "ASC") -> Page:
        """``GET search/:itemtype/``; rows keyed by search-option id (as strings). The
        ``data`` key is absent when nothing matches (NOTES §4)."""
        query: dict[str, str | int] = {"range": f"{start}-{start + size - 1}", "order": order}
        for index, criterion in enumerate(criteria):
            for key, value in criterion.items():
                query[f"criteria[{index}][{key}]"] = value
        for index, option in enumerate(display):
            query[f"forcedisplay[{index}]"] = option
        if sort is not None:
            query["sort"] = sort
        answer = self._call("GET", f"search/{itemtype}/", params=query)
        body = _require_dict(answer.body, f"search {itemtype}")
        total = body.get("totalcount")
        if not isinstance(total, int):
            raise GlpiBadResponse(f"search {itemtype}: no totalcount in the answer")
        data = body.get("data", [])
        if isinstance(data, dict):  # withindexes=true form
            data = list(data.values())
        return Page(_require_rows(data, f"search {itemtype}"), total)


__all__ = (
    "DEFAULT_TIMEOUT",
    "Answer",
    "Connection",
    "GlpiClient",
    "Page",
    "content_range_total",
    "require_int",
)
