"""Writing the audit row of an API call, with personal data masked before it is stored.

Views name the URL arguments that are personal data (`masked_url_kwargs`) and the query
parameters that are not (`logged_query_params`); every other value is replaced by `***`
in the stored path and query, so the log never holds a phone number or a name in the
first place, not even one sent under a mistyped parameter name. The object a call was
about is stored as ids only (`object_ref`, `partner_id`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from urllib.parse import urlencode

from django.db import connection
from django.urls import NoReverseMatch, get_script_prefix, reverse
from rest_framework.request import Request
from rest_framework.response import Response

from .models import ApiCallLog, ApiKey

log = logging.getLogger("kgc.bot_api.audit")

MASK = "***"
MAX_PATH = 300
MAX_QUERY = 300
MAX_REQUEST_ID = 64


@dataclass
class AuditSubject:
    """What the call was about: filled in by the view once it has found the object."""

    object_type: str = ""
    object_ref: str = ""
    partner_id: int | None = None


def _clean(text: str, limit: int) -> str:
    """PostgreSQL text cannot hold NUL; a hostile path must not cost the audit row."""
    return text.replace("\x00", "\ufffd")[:limit]


def masked_path(request: Request, masked_kwargs: Iterable[str]) -> str:
    match = request.resolver_match
    masked = set(masked_kwargs)
    if match is None or not match.view_name:
        return request.path[:MAX_PATH]
    kwargs = tuple(
        (key, MASK if key in masked else value) for key, value in match.kwargs.items()
    )
    if all(value == MASK for _key, value in kwargs):
        # Every argument masked: the same text for every call of the route, so reverse()
        # (a fifth of building the audit row) runs once per route and URL configuration.
        return _masked_route_path(match.view_name, kwargs, match.route,
                                  getattr(request, "urlconf", None), get_script_prefix())
    return _reversed_path(match.view_name, dict(kwargs), match.route)


def _reversed_path(view_name: str, kwargs: dict[str, object], route: str) -> str:
    try:
        return reverse(view_name, kwargs=kwargs)[:MAX_PATH]
    except NoReverseMatch:
        # A masked value the route's converter refuses: keep the route, lose the value.
        return f"/{route}"[:MAX_PATH]


@lru_cache(maxsize=256)
def _masked_route_path(view_name: str, kwargs: tuple[tuple[str, str], ...], route: str,
                       urlconf: str | None, script_prefix: str) -> str:
    """`_reversed_path` of a route whose arguments are all masked (the URL configuration
    and the script prefix, which reverse() reads, are part of the cache key)."""
    return _reversed_path(view_name, dict(kwargs), route)


def masked_query(request: Request, logged_params: Iterable[str]) -> str:
    logged = set(logged_params)
    pairs = [
        (key, value if key in logged else MASK)
        for key, values in request.query_params.lists()
        for value in values
    ]
    return urlencode(pairs)[:MAX_QUERY]


def record_call(
    request: Request,
    response: Response,
    *,
    endpoint: str,
    subject: AuditSubject,
    masked_kwargs: Iterable[str],
    logged_params: Iterable[str],
    duration_ms: float,
) -> None:
    """Attach the call's audit row to the response; it is inserted when the response is
    closed.

    The WSGI server calls close() once the body has been sent, so the insert and its
    commit stay out of the caller's latency, while the worker still writes the row before
    it takes its next request (nothing is queued in memory or lost on a busy server).
    """
    row = build_call_row(
        request, response, endpoint=endpoint, subject=subject, masked_kwargs=masked_kwargs,
        logged_params=logged_params, duration_ms=duration_ms,
    )
    # Django runs `_resource_closers` from HttpResponse.close(), the WSGI close hook.
    # attr-defined: a private attribute of HttpResponseBase that django-stubs leave out.
    response._resource_closers.append(  # type: ignore[attr-defined]
        partial(save_call_row, row, endpoint)
    )


# Every column but the id, in the model's order: the row goes in as one plain INSERT
# (Model.save costs several times the statement's CPU: signals, field walks, the
# compiler). Nothing listens to ApiCallLog's save signals.
_INSERT_FIELDS = tuple(f for f in ApiCallLog._meta.concrete_fields if not f.primary_key)
_INSERT = (
    f"INSERT INTO {ApiCallLog._meta.db_table} "
    f"({', '.join(connection.ops.quote_name(f.column) for f in _INSERT_FIELDS)}) "
    f"VALUES ({', '.join(['%s'] * len(_INSERT_FIELDS))})"
)


def save_call_row(row: ApiCallLog, endpoint: str) -> None:
    """Insert the row (autocommit: committed when this returns). A failing audit write
    is logged loudly, never turned into an error answer.

    Django's close() would swallow any exception silently, so everything is logged here.
    """
    try:
        values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in _INSERT_FIELDS]
        with connection.cursor() as cursor:
            cursor.execute(_INSERT, values)
    except Exception:
        log.exception("bot_api.audit.write-failed endpoint=%s", endpoint)


def build_call_row(
    request: Request,
    response: Response,
    *,
    endpoint: str,
    subject: AuditSubject,
    masked_kwargs: Iterable[str],
    logged_params: Iterable[str],
    duration_ms: float,
) -> ApiCallLog:
    api_key = request.auth if isinstance(request.auth, ApiKey) else None
    error_code = ""
    if response.status_code >= 400 and isinstance(response.data, dict):
        error_code = str(response.data.get("code", ""))[:40]
    return ApiCallLog(
        api_key=api_key,
        key_prefix=api_key.prefix if api_key else "",
        tenant_id=api_key.tenant_id if api_key else None,
        method=request.method or "",
        endpoint=endpoint[:64],
        path=_clean(masked_path(request, masked_kwargs), MAX_PATH),
        query=_clean(masked_query(request, logged_params), MAX_QUERY),
        object_type=subject.object_type[:32],
        object_ref=_clean(subject.object_ref, 64),
        partner_id=subject.partner_id,
        status_code=response.status_code,
        error_code=error_code,
        duration_ms=round(duration_ms, 3),
        request_id=_clean(request.headers.get("X-Request-ID", ""), MAX_REQUEST_ID),
    )
