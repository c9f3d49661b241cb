"""The Twenty API client: one method per remote operation, nothing else.

Two `gql` clients over `RequestsHTTPTransport` (records on `/graphql`, schema on
`/metadata`) with `Authorization: Bearer <key>`; every document is a `.graphql` file in
`documents/` (validated against the contract SDLs by the test suite). Each call first
takes a token from the workspace's client-side bucket, and every failure comes out as a
classified `TwentyError` (retryable or not; "Limit reached" drains the bucket).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import requests
from gql import Client, GraphQLRequest
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)
from gql.transport.requests import RequestsHTTPTransport
from graphql import DocumentNode, OperationDefinitionNode, parse

from apps.plugin_manager.eventbus.errors import parse_retry_after

from .config import TwentyConfig
from .errors import (
    TwentyRateLimited,
    TwentyServerError,
    TwentyUnavailable,
    classify_graphql_errors,
    error_for_http_status,
)
from .kinds import SPECS, RecordKind
from .rate_limit import TokenBucket, bucket_for

log = logging.getLogger("crm_plugin.twenty.client")

DOCUMENTS_DIR = Path(__file__).parent / "documents"
# Twenty's portable batch and page size (QUERY_MAX_RECORDS, NOTES.md section 7).
BATCH_SIZE = 60
# Document folder -> URL path: records on /graphql, schema on /metadata.
ENDPOINT_PATHS = {"core": "graphql", "metadata": "metadata"}


@cache
def document(endpoint: str, stem: str) -> DocumentNode:
    """A parsed document from documents/<endpoint>/<stem>.graphql ("core" or "metadata")."""
    return parse((DOCUMENTS_DIR / endpoint / f"{stem}.graphql").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Page:
    nodes: list[dict[str, Any]]
    has_next_page: bool
    end_cursor: str | None


class TwentyClient:
    """Use as a context manager, or call `close()`; not shared between threads."""

    def __init__(self, config: TwentyConfig, *, bucket: TokenBucket | None = None) -> None:
        self.config = config
        self.bucket = bucket or bucket_for(config.base_url, config.calls_per_minute)
        self.calls = 0
        self._sessions: dict[str, Any] = {}
        self._transports: dict[str, RequestsHTTPTransport] = {}

    # ------------------------------------------------------------------ plumbing

    def _session(self, endpoint: str) -> Any:
        session = self._sessions.get(endpoint)
        if session is None:
            transport = RequestsHTTPTransport(
                url=f"{self.config.base_url}/{ENDPOINT_PATHS[endpoint]}",
                headers={"Authorization": f"Bearer {self.config.api_key}"},
                timeout=self.config.timeout,
                retries=0,  # retries are the caller's decision (pipeline / sync loop)
            )
            # No schema fetch: documents are validated against the contract in the tests,
            # and the live schema changes under us while the bootstrap runs.
            client = Client(transport=transport, fetch_schema_from_transport=False)
            session = client.connect_sync()
            self._transports[endpoint] = transport
            self._sessions[endpoint] = (client, session)
            return session
        return session[1]

    def execute(
        self, endpoint: str, stem: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one document; returns `data` or raises a classified TwentyError."""
        doc = document(endpoint, stem)
        request = GraphQLRequest(
            doc, variable_values=dict(variables or {}), operation_name=_operation_name(doc)
        )
        self.bucket.acquire()
        self.calls += 1
        session = self._session(endpoint)
        try:
            result = session.execute(request)
        except TransportQueryError as exc:
            error = classify_graphql_errors(exc.errors or [{"message": str(exc)}])
        except TransportServerError as exc:
            headers: Mapping[str, str] = self._transports[endpoint].response_headers or {}
            error = error_for_http_status(
                exc.code or 500, parse_retry_after(headers.get("Retry-After"))
            )
        except TransportConnectionFailed as exc:
            cause = exc.__cause__
            timed_out = isinstance(cause, requests.Timeout)
            error = TwentyUnavailable(f"{'timeout' if timed_out else 'connection failed'}: {exc}")
        except TransportProtocolError as exc:
            error = TwentyServerError(f"not a GraphQL answer: {exc}")
        except TransportError as exc:
            error = TwentyServerError(f"{type(exc).__name__}: {exc}")
        else:
            return dict(result or {})
        if isinstance(error, TwentyRateLimited):
            self.bucket.penalize(error.retry_after or 1.0)
        log.info("twenty %s %s failed: %s", endpoint, stem, error.message)
        raise error

    def close(self) -> None:
        for client, _session in self._sessions.values():
            client.close_sync()
        self._sessions.clear()
        self._transports.clear()

    def __enter__(self) -> TwentyClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.close()

    # ------------------------------------------------------------------ health & schema

    def health(self) -> float:
        """`{ __typename }` on /graphql; returns the latency in milliseconds."""
        started = time.monotonic()
        self.execute("core", "health")
        return (time.monotonic() - started) * 1000

    def introspect_type(self, name: str) -> dict[str, Any] | None:
        return self.execute("core", "introspect_type", {"name": name}).get("__type")

    def list_objects(self) -> list[dict[str, Any]]:
        """Every object with its fields (the default page is 10: always page explicitly)."""
        objects: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            paging: dict[str, Any] = {"first": 200}
            if after:
                paging["after"] = after
            data = self.execute("metadata", "list_objects", {"paging": paging})["objects"]
            objects.extend(edge["node"] for edge in data["edges"])
            if not data["pageInfo"]["hasNextPage"]:
                return objects
            after = data["pageInfo"]["endCursor"]

    def create_object(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        data = self.execute("metadata", "create_object", {"input": {"object": dict(spec)}})
        return data["createOneObject"]

    def create_field(self, spec: Mapping[str, Any]) -> dict[str, Any]:
        data = self.execute("metadata", "create_field", {"input": {"field": dict(spec)}})
        return data["createOneField"]

    def list_webhooks(self) -> list[dict[str, Any]]:
        return self.execute("metadata", "list_webhooks")["webhooks"]

    def create_webhook(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return self.execute("metadata", "create_webhook", {"input": dict(data)})["createWebhook"]

    def update_webhook(self, webhook_id: str, update: Mapping[str, Any]) -> dict[str, Any]:
        variables = {"input": {"id": webhook_id, "update": dict(update)}}
        return self.execute("metadata", "update_webhook", variables)["updateWebhook"]

    # ------------------------------------------------------------------ people

    def upsert_people(self, people: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """createPeople(upsert: true): matched on kgcPartnerId (and id / primary e-mail)."""
        _check_batch(people)
        return self.execute("core", "upsert_people", {"data": list(people)})["createPeople"]

    def find_people(
        self, filter_: Mapping[str, Any], *, first: int = BATCH_SIZE, after: str | None = None
    ) -> Page:
        data = self.execute(
            "core", "find_people", {"filter": dict(filter_), "first": first, "after": after}
        )
        return _page(data["people"])

    def iter_people(self, filter_: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            page = self.find_people(filter_, after=after)
            yield from page.nodes
            if not page.has_next_page:
                return
            after = page.end_cursor

    def upsert_companies(self, companies: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """createCompanies(upsert: true): matched on the id we derive from our partner id."""
        _check_batch(companies)
        data = self.execute("core", "upsert_companies", {"data": list(companies)})
        return list(data["createCompanies"])

    def destroy_company(self, company_id: str) -> dict[str, Any]:
        return dict(self.execute("core", "destroy_company", {"id": company_id})["destroyCompany"])

    def delete_person(self, person_id: str) -> dict[str, Any]:
        """Soft delete (trash); a later upsert restores the row."""
        return self.execute("core", "delete_person", {"id": person_id})["deletePerson"]

    def destroy_person(self, person_id: str) -> dict[str, Any]:
        return self.execute("core", "destroy_person", {"id": person_id})["destroyPerson"]

    # ------------------------------------------------------------------ history records

    def upsert_records(
        self, kind: RecordKind, records: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        spec = SPECS[kind]
        _check_batch(records)
        data = self.execute("core", f"upsert_{spec.document_stem}s", {"data": list(records)})
        return data[f"create{spec.name_plural[0].upper()}{spec.name_plural[1:]}"]

    def find_records(
        self,
        kind: RecordKind,
        filter_: Mapping[str, Any],
        *,
        first: int = BATCH_SIZE,
        after: str | None = None,
    ) -> Page:
        spec = SPECS[kind]
        data = self.execute(
            "core",
            f"find_{spec.document_stem}s",
            {"filter": dict(filter_), "first": first, "after": after},
        )
        return _page(data[spec.name_plural])

    def iter_records(
        self, kind: RecordKind, filter_: Mapping[str, Any]
    ) -> Iterator[dict[str, Any]]:
        after: str | None = None
        while True:
            page = self.find_records(kind, filter_, after=after)
            yield from page.nodes
            if not page.has_next_page:
                return
            after = page.end_cursor

    def destroy_records(
        self, kind: RecordKind, filter_: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        spec = SPECS[kind]
        data = self.execute("core", f"destroy_{spec.document_stem}s", {"filter": dict(filter_)})
        return data[f"destroy{spec.name_plural[0].upper()}{spec.name_plural[1:]}"] or []

    # ------------------------------------------------------------------ opportunities

    def find_opportunity(self, opportunity_id: str) -> dict[str, Any] | None:
        data = self.execute(
            "core", "find_opportunity", {"filter": {"id": {"eq": opportunity_id}}}
        )
        return data.get("opportunity")


def _operation_name(doc: DocumentNode) -> str | None:
    for definition in doc.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    return None


def _check_batch(items: Sequence[object]) -> None:
    if len(items) > BATCH_SIZE:
        raise ValueError(f"at most {BATCH_SIZE} records per mutation, got {len(items)}")


def _page(connection: Mapping[str, Any]) -> Page:
    info = connection["pageInfo"]
    return Page(
        nodes=[edge["node"] for edge in connection["edges"]],
        has_next_page=bool(info["hasNextPage"]),
        end_cursor=info.get("endCursor"),
    )


# Every document the client can send, for the contract test.
ALL_DOCUMENTS: tuple[tuple[str, str], ...] = tuple(
    (endpoint, path.stem)
    for endpoint in ("core", "metadata")
    for path in sorted((DOCUMENTS_DIR / endpoint).glob("*.graphql"))
)

__all__ = ("ALL_DOCUMENTS", "BATCH_SIZE", "Page", "TwentyClient", "document")
