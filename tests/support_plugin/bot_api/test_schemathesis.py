"""Property-based conformance run of the bot API against its own OpenAPI schema.

schemathesis loads /api/schema/ from the Django WSGI application, generates requests for
every operation (valid and invalid data) and sends them with a valid key of every scope;
each response must not be a server error and must match the status codes, content types,
headers and bodies the schema documents. 100 examples per operation by default (about
a minute); BOT_API_SCHEMATHESIS_EXAMPLES=1000 searches deeper.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from apps.support_plugin.bot_api.keys import issue_api_key
from apps.support_plugin.bot_api.scopes import Scope
from kgc_erp.sales.models import StockLevel
from tests.factories import PartnerFactory, headquarters, open_worklog, place_order, start_rental

from .helpers import next_weekday

EXAMPLES_PER_OPERATION = int(os.environ.get("BOT_API_SCHEMATHESIS_EXAMPLES", "100"))

# "Schema-valid data must be accepted" holds where the schema can state every rule (the
# document numbers carry their pattern). It cannot for these: whether a phone number is
# dialable depends on the numbering plan, duplicates needs at least one of three optional
# parameters, and a booking depends on opening hours and on the customer existing. Their
# 400s are checked by the other checks (documented status, body schema) and by the
# endpoint tests.
RULES_BEYOND_SCHEMA = {
    "/api/v1/customers/by-phone/{phone}",
    "/api/v1/customers/duplicates",
    "/api/v1/service/appointments",
}

# Loaded when the module is collected (generating the schema needs no database). The
# schema keeps the WSGI app and sends every generated request through it. Every request
# carries a real key (below), so schemathesis must not synthesise or negate the
# Authorization header itself; missing and bad keys are covered by its `ignored_auth`
# check and by test_auth.py.
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/",
    WSGIHandler(),
    config=SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}}),
)


@pytest.fixture(autouse=True)
def _keep_test_connection() -> Iterator[None]:
    """Requests through the real WSGI handler would close the connection that holds the
    test's transaction at request end; Django's own test client avoids it the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def full_access_key(support_on: Any) -> str:
    PartnerFactory(phone="+36301234567")
    issued = issue_api_key(tenant=headquarters(), name="schemathesis",
                           scopes=(Scope.READ, Scope.WRITE, Scope.ERASE),
                           rate_limit_per_minute=1_000_000)
    return issued.raw_key


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_bot_api_conforms_to_its_schema(case: Any, full_access_key: str) -> None:
    excluded = [positive_data_acceptance] if case.operation.path in RULES_BEYOND_SCHEMA else []
    case.call_and_validate(
        headers={"Authorization": f"Bearer {full_access_key}"}, excluded_checks=excluded
    )


def test_success_answers_match_the_schema(full_access_key: str, hq: Any) -> None:
    """Generated data rarely hits an existing object, so the 200/201 bodies of real
    objects are validated against the schema here, through the same checks."""
    partner = PartnerFactory(name="Kovács János", phone="+36209876543")
    rental = start_rental(partner)
    worklog = open_worklog(partner)
    order = place_order(partner)
    StockLevel.objects.create(tenant=hq, product=order.lines.get().product,
                              location="Győr", quantity=4)
    sku = order.lines.get().product.sku
    cases = [
        schema["/api/v1/customers/by-phone/{phone}"]["GET"].Case(
            path_parameters={"phone": "06209876543"}),
        schema["/api/v1/customers/duplicates"]["GET"].Case(query={"name": "Kovacs Janos"}),
        schema["/api/v1/rentals/{number}/status"]["GET"].Case(
            path_parameters={"number": rental.number}),
        schema["/api/v1/service/worklogs/{number}/status"]["GET"].Case(
            path_parameters={"number": worklog.number}),
        schema["/api/v1/orders/{number}/status"]["GET"].Case(
            path_parameters={"number": order.number}),
        schema["/api/v1/orders/{number}/estimated-arrival"]["GET"].Case(
            path_parameters={"number": order.number}),
        schema["/api/v1/inventory/check"]["GET"].Case(query={"sku": sku, "location": "gyor"}),
        schema["/api/v1/service/appointments"]["POST"].Case(
            body={"customer_id": partner.pk, "starts_at": next_weekday(1, 9).isoformat()},
            media_type="application/json"),
    ]
    for case in cases:
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {full_access_key}"}
        )
        assert response.status_code in (200, 201), (case.path, response.text)


def test_schema_and_docs_are_served(db: None) -> None:
    client = Client()
    schema_response = client.get(
        "/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}
    )
    docs = client.get("/api/docs/")

    assert schema_response.status_code == 200
    document = schema_response.json()
    assert set(document["paths"]) == {
        "/api/v1/customers/by-phone/{phone}", "/api/v1/customers/duplicates",
        "/api/v1/rentals/{number}/status", "/api/v1/service/worklogs/{number}/status",
        "/api/v1/service/appointments", "/api/v1/orders/{number}/status",
        "/api/v1/orders/{number}/estimated-arrival", "/api/v1/inventory/check",
        "/api/v1/customers/{customer_id}", "/api/v1/privacy-requests/{request_id}",
    }
    assert {"RentalStatusEnum", "WorklogStatusEnum", "OrderStatusEnum"} <= set(
        document["components"]["schemas"]
    )
    assert document["components"]["securitySchemes"]["ApiKeyBearer"]["scheme"] == "bearer"
    assert docs.status_code == 200
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in docs.content
