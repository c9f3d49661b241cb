"""The Krayin REST client: one method per remote operation, nothing else.

Every request sends `Accept: application/json` (without it Krayin answers validation
failures with a 302 and auth failures with an HTML 500, NOTES.md §1) and a Bearer token
from the shared `TokenStore`. Each call first takes a token from the per-user client-side
bucket (throttle:api is per user, so all workers of one Krayin user share the limit's
shape). Failures come out as the typed errors of `errors.py`.

Auth: a 401 (debug) or a 500 (production renders a bad token as 500) on a request made
with a token is probed with `GET /get`; if the probe fails too, the token is replaced
once through the store (which takes over another worker's fresh login instead of logging
in again) and the request is repeated. If the probe succeeds, the 500 was real.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType

import requests

from apps.plugin_manager.eventbus.errors import parse_retry_after

from ..rate_limit import TokenBucket, bucket_for
from .config import DEVICE_NAME, KrayinConfig
from .errors import (
    KrayinError,
    KrayinNotFound,
    KrayinPermanentError,
    KrayinRateLimited,
    KrayinServerError,
    KrayinUnauthorized,
    KrayinUnavailable,
    KrayinValidationError,
)
from .token_store import TokenStore, TokenTooFresh

log = logging.getLogger("crm_plugin.krayin.client")

JsonObject = dict[str, object]
Params = Mapping[str, str | int]
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}
PAGE_SIZE = 50
FRESH_TOKEN_RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Page:
    rows: list[JsonObject]
    current_page: int
    last_page: int

    @property
    def has_next(self) -> bool:
        return self.current_page < self.last_page


def _message(body: object) -> str:
    if isinstance(body, dict):
        return str(body.get("message") or "")
    return ""


def _objects(value: object) -> list[JsonObject]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []


class KrayinClient:
    """Use as a context manager, or call `close()`; not shared between threads."""

    def __init__(self, config: KrayinConfig, *, bucket: TokenBucket | None = None,
                 store: TokenStore | None = None) -> None:
        self.config = config
        self.bucket = bucket or bucket_for(f"krayin:{config.account_key}",
                                           config.calls_per_minute)
        self.store = store or TokenStore(config.account_key, self.login)
        self.calls = 0
        self.logins = 0
        self._token: str | None = None
        self._session = requests.Session()
        self._session.headers.update(JSON_HEADERS)

    # ------------------------------------------------------------------ plumbing

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> KrayinClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _send(self, method: str, path: str, *, params: Params | None = None,
              body: JsonObject | None = None, token: str | None = None) -> requests.Response:
        self.bucket.acquire()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.calls += 1
        try:
            return self._session.request(
                method, f"{self.config.api_url}/{path}", params=params, json=body,
                headers=headers, timeout=self.config.timeout, allow_redirects=False,
            )  # fmt: skip
        except requests.Timeout as exc:
            raise KrayinUnavailable(f"{method} {path}: timeout ({exc})") from exc
        except requests.RequestException as exc:
            raise KrayinUnavailable(f"{method} {path}: {exc}") from exc

    @staticmethod
    def _json(response: requests.Response) -> object:
        try:
            return response.json()
        except ValueError:
            return None

    def _error(self, method: str, path: str, response: requests.Response) -> KrayinError:
        status = response.status_code
        body = self._json(response)
        text = f"{method} {path}: HTTP {status} {_message(body)}".strip()
        if status == 422 and isinstance(body, dict):
            errors = body.get("errors")
            return KrayinValidationError(
                _message(body) or text,
                errors={str(k): [str(m) for m in v] for k, v in errors.items()
                        if isinstance(v, list)} if isinstance(errors, dict) else {},
            )  # fmt: skip
        if status == 429:
            retry = parse_retry_after(response.headers.get("Retry-After"))
            return KrayinRateLimited(text, retry_after=retry, http_status=status)
        if status == 404:
            return KrayinNotFound(text, http_status=status)
        if status in (401, 403):
            return KrayinUnauthorized(text, http_status=status)
        if status >= 500 or status == 408 or body is None:
            return KrayinServerError(text, http_status=status)
        return KrayinPermanentError(text, http_status=status)

    def _maybe_auth(self, response: requests.Response) -> bool:
        if response.status_code == 401:
            return True
        return response.status_code == 500 and "app.common" in _message(self._json(response))

    def _token_works(self, token: str) -> bool:
        return self._send("GET", "get", token=token).status_code == 200

    def request(self, method: str, path: str, *, params: Params | None = None,
                body: JsonObject | None = None) -> JsonObject:
        """One authenticated call; the decoded JSON object of a 200, else a typed error."""
        token = self._token or self.store.current()
        self._token = token
        response = self._send(method, path, params=params, body=body, token=token)
        if self._maybe_auth(response) and not self._token_works(token):
            try:
                self._token = self.store.replace(token)
            except TokenTooFresh as exc:
                raise KrayinServerError(f"{method} {path}: HTTP {response.status_code} with "
                                        "a fresh token (throttled?)",
                                        retry_after=FRESH_TOKEN_RETRY_SECONDS,
                                        http_status=response.status_code) from exc  # fmt: skip
            response = self._send(method, path, params=params, body=body, token=self._token)
        if response.status_code != 200:
            raise self._error(method, path, response)
        body_json = self._json(response)
        if not isinstance(body_json, dict):
            raise KrayinServerError(f"{method} {path}: not a JSON object", http_status=200)
        return body_json

    def login(self) -> str:
        """POST /login (revokes every older token of the user: only the store calls it)."""
        response = self._send("POST", "login", body={
            "email": self.config.email, "password": self.config.password,
            "device_name": DEVICE_NAME,
        })  # fmt: skip
        self.logins += 1
        if response.status_code == 422:
            raise KrayinUnauthorized("login refused: wrong Krayin e-mail or password",
                                     http_status=422)
        if response.status_code != 200:
            raise self._error("POST", "login", response)
        body = self._json(response)
        token = body.get("token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise KrayinServerError("login answer without a token", http_status=200)
        return token

    @staticmethod
    def _data(body: JsonObject) -> JsonObject:
        data = body.get("data")
        if not isinstance(data, dict):
            raise KrayinServerError("answer without a data object")
        return data

    def _page(self, path: str, params: Params) -> Page:
        body = self.request("GET", path, params=params)
        meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
        assert isinstance(meta, dict)
        return Page(_objects(body.get("data")), int(str(meta.get("current_page") or 1)),
                    int(str(meta.get("last_page") or 1)))  # fmt: skip

    def _all(self, path: str, params: Params | None = None) -> list[JsonObject]:
        """Every row of an index (`pagination=0`: one call, no meta)."""
        body = self.request("GET", path, params={**(params or {}), "pagination": 0})
        return _objects(body.get("data"))

    # ------------------------------------------------------------------ account

    def health(self) -> float:
        """GET /get with the shared token; the latency in ms."""
        started = time.monotonic()
        self.request("GET", "get")
        return (time.monotonic() - started) * 1000

    # ------------------------------------------------------------------ persons

    def search_persons(self, field: str, value: str, *, limit: int = 20) -> list[JsonObject]:
        """`contacts/persons/search` with a LIKE on a JSON column (emails, contact_numbers):
        a substring match, so callers filter the rows for an exact match."""
        body = self.request("GET", "contacts/persons/search", params={
            "search": f"{field}:{value}", "searchFields": f"{field}:like", "limit": limit,
        })  # fmt: skip
        return _objects(body.get("data"))

    def all_persons(self) -> list[JsonObject]:
        return self._all("contacts/persons")

    def create_person(self, payload: JsonObject) -> JsonObject:
        return self._data(self.request("POST", "contacts/persons", body=payload))

    def update_person(self, person_id: int, payload: JsonObject) -> JsonObject:
        return self._data(self.request("PUT", f"contacts/persons/{person_id}", body=payload))

    def delete_person(self, person_id: int) -> None:
        self.request("DELETE", f"contacts/persons/{person_id}")

    def person_activities(self, person_id: int) -> list[JsonObject]:
        """The person's timeline without Krayin's own `system` audit entries."""
        body = self.request("GET", f"contacts/persons/{person_id}/activities")
        return [a for a in _objects(body.get("data")) if a.get("type") != "system"]

    # ------------------------------------------------------------------ organizations

    def find_organizations(self, name: str) -> list[JsonObject]:
        """Index column filter `name=<exact>` (whereIn on the table)."""
        return self._all("contacts/organizations", {"name": name})

    def get_organization(self, org_id: int) -> JsonObject:
        return self._data(self.request("GET", f"contacts/organizations/{org_id}"))

    def delete_organization(self, org_id: int) -> None:
        self.request("DELETE", f"contacts/organizations/{org_id}")

    def persons_of_organization(self, org_id: int) -> list[JsonObject]:
        return self._all("contacts/persons", {"organization_id": org_id})

    def all_organizations(self) -> list[JsonObject]:
        return self._all("contacts/organizations")

    def create_organization(self, name: str) -> JsonObject:
        return self._data(self.request("POST", "contacts/organizations", body={"name": name}))

    # ------------------------------------------------------------------ activities

    def create_activity(self, payload: JsonObject) -> JsonObject:
        return self._data(self.request("POST", "activities", body=payload))

    def update_activity(self, activity_id: int, payload: JsonObject) -> JsonObject:
        return self._data(self.request("PUT", f"activities/{activity_id}", body=payload))

    def all_activities(self) -> list[JsonObject]:
        return [a for a in self._all("activities") if a.get("type") != "system"]

    # ------------------------------------------------------------------ leads

    def create_lead(self, payload: JsonObject) -> JsonObject:
        return self._data(self.request("POST", "leads", body=payload))

    def get_lead(self, lead_id: int) -> JsonObject:
        return self._data(self.request("GET", f"leads/{lead_id}"))

    def leads_of_person(self, person_id: int) -> list[JsonObject]:
        return self._all("leads", {"person_id": person_id})

    def leads_page(self, page: int, *, limit: int = PAGE_SIZE) -> Page:
        """Leads, most recently changed first (the poll: NOTES.md has no range filter)."""
        return self._page("leads", {"sort": "updated_at", "order": "desc", "page": page,
                                    "limit": limit})  # fmt: skip

    def iter_leads_changed(self) -> Iterator[JsonObject]:
        page = 1
        while True:
            result = self.leads_page(page)
            yield from result.rows
            if not result.has_next:
                return
            page += 1

    # ------------------------------------------------------------------ settings

    def pipelines(self) -> list[JsonObject]:
        return self._all("settings/pipelines")

    def lead_sources(self) -> list[JsonObject]:
        return self._all("settings/sources")

    def create_lead_source(self, name: str) -> JsonObject:
        return self._data(self.request("POST", "settings/sources", body={"name": name}))

    def lead_types(self) -> list[JsonObject]:
        return self._all("settings/types")


__all__ = ("PAGE_SIZE", "KrayinClient", "Page")
