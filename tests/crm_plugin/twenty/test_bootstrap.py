"""Schema bootstrap through /metadata against the sandbox, where the custom fields and
objects exist only once the metadata mutations created them."""

from __future__ import annotations

from apps.crm_plugin.twenty.data_model import CUSTOM_OBJECTS, PERSON_FIELDS
from apps.crm_plugin.twenty.schema_bootstrap import bootstrap_schema

from .helpers import client_for, control


def _metadata_mutations(handle) -> int:
    logged = control(handle, "GET", "requests")["requests"]
    return sum(1 for r in logged if r.get("endpoint") == "metadata"
               and (r.get("operationName") or "").startswith("CreateOne"))  # fmt: skip


def test_bootstrap_on_an_empty_workspace_then_again_is_a_no_op(twenty) -> None:
    state = control(twenty, "GET", "state")
    assert state["customModel"]["personFields"] == []
    with client_for(twenty) as client:
        first = bootstrap_schema(client)
    assert first.ok, first.problems
    assert _metadata_mutations(twenty) == len(first.created)
    expected = len(PERSON_FIELDS) + sum(len(o.fields) + 2 for o in CUSTOM_OBJECTS)
    assert len(first.created) == expected
    state = control(twenty, "GET", "state")
    assert set(state["customModel"]["customObjects"]) == {"rentalRecord", "serviceRecord",
                                                          "salesRecord"}  # fmt: skip
    assert "kgcPartnerId" in state["customModel"]["personFields"]

    control(twenty, "DELETE", "requests")
    with client_for(twenty) as client:
        second = bootstrap_schema(client)
    assert second.ok and second.created == []
    assert _metadata_mutations(twenty) == 0
    assert control(twenty, "GET", "state")["metadataVersion"] == state["metadataVersion"]


def test_a_wrong_typed_field_is_reported_precisely_and_left_alone(twenty) -> None:
    with client_for(twenty) as client:
        person = next(o for o in client.list_objects() if o["nameSingular"] == "person")
        client.create_field({"objectMetadataId": person["id"], "type": "TEXT",
                             "name": "totalRentals", "label": "Total Rentals"})  # fmt: skip
        report = bootstrap_schema(client)
    assert not report.ok
    assert "person.totalRentals: metadata type is TEXT, expected NUMBER" in report.problems
    assert "person.totalRentals: /graphql type is String, expected Float" in report.problems
    # Everything else was still created.
    assert "person.totalRevenue" in report.created and "salesRecord.items" in report.created
    assert len(report.problems) == 2
