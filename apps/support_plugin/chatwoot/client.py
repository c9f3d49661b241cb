"""HTTP client of the Chatwoot Application and Platform APIs (HTTP only: no ORM here).

Facts from ``shared/contracts/chatwoot/NOTES.md`` that shape this module:

* the token goes in the ``api_access_token`` header (§1);
* envelopes differ per endpoint (§2): contact create returns ``payload.contact``, contact
  show/update return ``payload``, conversations and messages are bare objects, webhooks are
  ``payload.webhook(s)``; every create answers 200;
* conversation URLs take the per-account ``display_id``, which is the ``id`` of every
  conversation JSON (§6);
* errors are typed (``errors.py``) so the event bus retries what is worth retrying.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from apps.plugin_manager.eventbus.errors import parse_retry_after

from .errors import (
    ChatwootError,
    ChatwootNotFound,
    ChatwootRateLimited,
    ChatwootRequestError,
    ChatwootServerError,
    ChatwootUnauthorized,
    ChatwootUnavailable,
    ChatwootValidationError,
)

log = logging.getLogger("support_plugin.chatwoot.client")

# (connect, read) seconds: a stuck Chatwoot must not hold a worker for long; the event bus
# retries a timeout later.
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 10.0)
JSON = dict[str, Any]


@dataclass(frozen=True)
class Connection:
    """Where and as whom to talk to one Chatwoot account."""

    api_url: str
    api_token: str
    account_id: int
    timeout: tuple[float, float] = DEFAULT_TIMEOUT

    @property
    def base(self) -> str:
        return self.api_url.rstrip("/")


def _error_message(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("message", "error"):
            if isinstance(body.get(key), str):
                return body[key]
        if isinstance(body.get("errors"), list):
            return "; ".join(str(e) for e in body["errors"])
    return str(body)[:500] if body else ""


def raise_for_response(response: requests.Response) -> None:
    """Turn a non-2xx response into the matching typed error."""
    status = response.status_code
    if 200 <= status < 300:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    message = f"HTTP {status} {response.request.method} {response.url}: {_error_message(body)}"
    error: ChatwootError
    if status == 401:
        error = ChatwootUnauthorized(message, http_status=status)
    elif status == 404:
        error = ChatwootNotFound(message, http_status=status)
    elif status == 422:
        attributes = body.get("attributes") if isinstance(body, dict) else None
        error = ChatwootValidationError(
            _error_message(body) or message,
            attributes=tuple(str(a) for a in attributes or ()),
        )
    elif status == 429:
        error = ChatwootRateLimited(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")),
            http_status=status,
        )
    elif status >= 500 or status == 408:
        error = ChatwootServerError(
            message, retry_after=parse_retry_after(response.headers.get("Retry-After")),
            http_status=status,
        )
    else:
        error = ChatwootRequestError(message, http_status=status)
    error.status = status
    error.body = body
    raise error


class _BaseClient:
    def __init__(self, base_url: str, token: str, timeout: tuple[float, float],
                 session: requests.Session | None = None) -> None:
        self._base = base_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._session = session or requests.Session()
        # Deliveries to a local sandbox must never go through an environment proxy.
        self._session.trust_env = False

    def _request(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
                 params: Mapping[str, Any] | None = None) -> Any:
        url = self._base + path
        headers = {"api_access_token": self._token, "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            response = self._session.request(method, url, data=data, params=params,
                                             headers=headers, timeout=self._timeout)
        except requests.Timeout as exc:
            raise ChatwootUnavailable(f"timeout: {method} {url}") from exc
        except requests.RequestException as exc:
            raise ChatwootUnavailable(f"{type(exc).__name__}: {method} {url}: {exc}") from exc
        raise_for_response(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise ChatwootServerError(
                f"{method} {url} answered {response.status_code} with a non-JSON body"
            ) from exc


def _envelope(data: Any, *keys: str) -> Any:
    """Dig through a documented envelope; anything else is a broken response (transient)."""
    current = data
    for key in keys:
        if not isinstance(current, dict) or key not in current:
            raise ChatwootServerError(f"unexpected response shape, missing {'.'.join(keys)}")
        current = current[key]
    return current


class ChatwootClient(_BaseClient):
    """Application API of one account (``/api/v1/accounts/{account_id}``)."""

    def __init__(self, connection: Connection, session: requests.Session | None = None) -> None:
        super().__init__(connection.base, connection.api_token, connection.timeout, session)
        self.connection = connection
        self._prefix = f"/api/v1/accounts/{int(connection.account_id)}"

    def _account(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, self._prefix + path, **kwargs)

    # -- profile -------------------------------------------------------------------------

    def profile(self) -> JSON:
        """``GET /api/v1/profile``: the token owner (the cheapest authenticated call)."""
        return self._request("GET", "/api/v1/profile")

    # -- contacts (NOTES §5) ---------------------------------------------------------------

    def filter_contacts(self, rules: Sequence[tuple[str, str]]) -> list[JSON]:
        """Contacts where any ``(attribute_key, value)`` is ``equal_to`` (OR-ed). First page
        only (15), which is plenty for an exact identifier / e-mail / phone match."""
        payload: list[JSON] = []
        for index, (key, value) in enumerate(rules):
            rule: JSON = {"attribute_key": key, "filter_operator": "equal_to", "values": [value]}
            if index < len(rules) - 1:
                rule["query_operator"] = "OR"  # the last rule must have none (NOTES §5)
            payload.append(rule)
        data = self._account("POST", "/contacts/filter", body={"payload": payload})
        return list(_envelope(data, "payload"))

    def search_contacts(self, query: str, page: int = 1) -> list[JSON]:
        data = self._account("GET", "/contacts/search", params={"q": query, "page": page})
        return list(_envelope(data, "payload"))

    def create_contact(self, fields: Mapping[str, Any]) -> JSON:
        data = self._account("POST", "/contacts", body=dict(fields))
        return dict(_envelope(data, "payload", "contact"))

    def get_contact(self, contact_id: int) -> JSON:
        return dict(_envelope(self._account("GET", f"/contacts/{int(contact_id)}"), "payload"))

    def update_contact(self, contact_id: int, fields: Mapping[str, Any]) -> JSON:
        """Custom/additional attributes are shallow-merged by Chatwoot (NOTES §5)."""
        data = self._account("PUT", f"/contacts/{int(contact_id)}", body=dict(fields))
        return dict(_envelope(data, "payload"))

    def delete_contact(self, contact_id: int) -> None:
        self._account("DELETE", f"/contacts/{int(contact_id)}")

    def contact_conversations(self, contact_id: int) -> list[JSON]:
        """The contact's 20 most recent conversations (no pagination, NOTES §5)."""
        data = self._account("GET", f"/contacts/{int(contact_id)}/conversations")
        return list(_envelope(data, "payload"))

    # -- conversations and messages (NOTES §6, §7) ---------------------------------------

    def create_conversation(self, *, inbox_id: int, contact_id: int,
                            custom_attributes: Mapping[str, Any] | None = None,
                            additional_attributes: Mapping[str, Any] | None = None) -> JSON:
        """A new conversation; the bare object's ``id`` is its display id."""
        body: JSON = {"inbox_id": int(inbox_id), "contact_id": int(contact_id)}
        if custom_attributes:
            body["custom_attributes"] = dict(custom_attributes)
        if additional_attributes:
            body["additional_attributes"] = dict(additional_attributes)
        return dict(self._account("POST", "/conversations", body=body))

    def get_conversation(self, display_id: int) -> JSON:
        return dict(self._account("GET", f"/conversations/{int(display_id)}"))

    def list_messages(self, display_id: int, *, after: int | None = None) -> list[JSON]:
        """The latest 20 messages of a conversation, oldest first; with ``after`` (a
        message id) up to 100 messages newer than it (NOTES §4)."""
        params = {"after": int(after)} if after is not None else None
        data = self._account("GET", f"/conversations/{int(display_id)}/messages",
                             params=params)
        return list(_envelope(data, "payload"))

    def assign_team(self, display_id: int, team_id: int) -> JSON | None:
        """``POST …/assignments {"team_id"}``: the raw team row (NOTES §6; an unknown team
        is a 404 on develop). A team assignment does not change the status."""
        data = self._account("POST", f"/conversations/{int(display_id)}/assignments",
                             body={"team_id": int(team_id)})
        return dict(data) if isinstance(data, dict) else None

    def toggle_status(self, display_id: int, status: str) -> JSON:
        data = self._account("POST", f"/conversations/{int(display_id)}/toggle_status",
                             body={"status": status})
        return dict(_envelope(data, "payload"))

    def list_teams(self) -> list[JSON]:
        """``GET /teams``: a bare array."""
        return list(self._account("GET", "/teams") or [])

    def create_message(self, display_id: int, content: str, *, private: bool = False,
                       source_id: str | None = None) -> JSON:
        """An outgoing message (a private note when ``private``); ``source_id`` is our own
        message id, kept by Chatwoot and used to recognise a retried send."""
        body: JSON = {"content": content, "message_type": "outgoing", "private": private}
        if source_id:
            body["source_id"] = source_id
        return dict(self._account("POST", f"/conversations/{int(display_id)}/messages",
                                  body=body))

    # -- account setup (NOTES §8, §9, §10) ---------------------------------------------------

    def list_inboxes(self) -> list[JSON]:
        return list(_envelope(self._account("GET", "/inboxes"), "payload"))

    def get_inbox(self, inbox_id: int) -> JSON:
        return dict(self._account("GET", f"/inboxes/{int(inbox_id)}"))

    def create_api_inbox(self, name: str, webhook_url: str = "") -> JSON:
        channel: JSON = {"type": "api"}
        if webhook_url:
            channel["webhook_url"] = webhook_url
        return dict(self._account("POST", "/inboxes", body={"name": name, "channel": channel}))

    def create_web_widget_inbox(self, name: str, website_url: str) -> JSON:
        """A website live-chat inbox; admins get its ``website_token`` and ``hmac_token``."""
        body = {"name": name, "channel": {"type": "web_widget", "website_url": website_url}}
        return dict(self._account("POST", "/inboxes", body=body))

    def list_webhooks(self) -> list[JSON]:
        return list(_envelope(self._account("GET", "/webhooks"), "payload", "webhooks"))

    def create_webhook(self, url: str, subscriptions: Sequence[str], name: str = "") -> JSON:
        body: JSON = {"url": url, "subscriptions": list(subscriptions)}
        if name:
            body["name"] = name
        data = self._account("POST", "/webhooks", body={"webhook": body})
        return dict(_envelope(data, "payload", "webhook"))

    def list_dashboard_apps(self) -> list[JSON]:
        return list(self._account("GET", "/dashboard_apps") or [])

    def create_dashboard_app(self, title: str, url: str) -> JSON:
        body = {"dashboard_app": {"title": title, "content": [{"type": "frame", "url": url}]}}
        return dict(self._account("POST", "/dashboard_apps", body=body))


class PlatformClient(_BaseClient):
    """Platform API (``/platform/api/v1``): accounts, users and memberships (NOTES §9).

    A platform app only sees records it created, so lookups happen by stored id."""

    def __init__(self, api_url: str, platform_token: str,
                 timeout: tuple[float, float] = DEFAULT_TIMEOUT,
                 session: requests.Session | None = None) -> None:
        super().__init__(api_url, platform_token, timeout, session)

    def create_account(self, name: str, *, locale: str = "hu",
                       custom_attributes: Mapping[str, Any] | None = None) -> JSON:
        body: JSON = {"name": name, "locale": locale}
        if custom_attributes:
            body["custom_attributes"] = dict(custom_attributes)
        return dict(self._request("POST", "/platform/api/v1/accounts", body=body))

    def get_account(self, account_id: int) -> JSON:
        return dict(self._request("GET", f"/platform/api/v1/accounts/{int(account_id)}"))

    def create_user(self, *, name: str, email: str, password: str) -> JSON:
        """Creates the user, or returns the existing one with this e-mail (NOTES §9)."""
        body = {"name": name, "email": email, "password": password}
        return dict(self._request("POST", "/platform/api/v1/users", body=body))

    def add_account_user(self, account_id: int, user_id: int, role: str) -> JSON:
        """Find-or-create the membership, then set its role."""
        return dict(self._request(
            "POST", f"/platform/api/v1/accounts/{int(account_id)}/account_users",
            body={"user_id": int(user_id), "role": role},
        ))


__all__ = (
    "DEFAULT_TIMEOUT",
    "ChatwootClient",
    "Connection",
    "PlatformClient",
    "raise_for_response",
)
