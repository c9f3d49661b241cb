"""Every GraphQL document the client can send validates against the contract SDLs, and
the sandbox really validates (a field that does not exist fails there)."""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from apps.crm_plugin.twenty.client import ALL_DOCUMENTS, DOCUMENTS_DIR, document
from apps.crm_plugin.twenty.errors import TwentyError
from devstack.shared_folder import contracts

from .helpers import client_for

CONTRACTS = contracts("twenty")
SDL = {"core": "core-subset.graphql", "metadata": "metadata-subset.graphql"}


def _schema(endpoint: str) -> GraphQLSchema:
    return build_schema((CONTRACTS / SDL[endpoint]).read_text(encoding="utf-8"))


def test_the_client_sends_only_documents_from_its_documents_folder() -> None:
    on_disk = {(p.parent.name, p.stem) for p in DOCUMENTS_DIR.glob("*/*.graphql")}
    assert set(ALL_DOCUMENTS) == on_disk
    assert len(ALL_DOCUMENTS) >= 19
    # The client resolves names through `document()`, which reads only these files.
    with pytest.raises(FileNotFoundError):
        document("core", "no_such_document")


@pytest.mark.parametrize(("endpoint", "stem"), ALL_DOCUMENTS, ids=lambda v: str(v))
def test_every_document_validates_against_the_contract(endpoint: str, stem: str) -> None:
    errors = validate(_schema(endpoint), document(endpoint, stem))
    assert errors == [], f"{endpoint}/{stem}: {[e.message for e in errors]}"


def test_the_contract_check_can_fail() -> None:
    # The contract's own negative example must fail the same validation.
    source = (CONTRACTS / "examples" / "invalid" / "create-person-with-email-field.graphql")
    errors = validate(_schema("core"), parse(source.read_text(encoding="utf-8")))
    assert errors and "email" in errors[0].message


def test_a_query_with_a_field_that_does_not_exist_fails_in_the_sandbox(
    workspace: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    import apps.crm_plugin.twenty.client as module

    bad = parse("query Bad { people(first: 1) { edges { node { id email } } } }")
    # Run a document that is not in documents/ through the client's own error handling.
    monkeypatch.setattr(module, "document", lambda endpoint, stem: bad)
    with client_for(workspace) as client, pytest.raises(TwentyError) as caught:
        client.execute("core", "bad")
    assert caught.value.code == "GRAPHQL_VALIDATION_FAILED"
    assert 'Cannot query field "email" on type "Person"' in caught.value.message
    assert caught.value.retryable is False
