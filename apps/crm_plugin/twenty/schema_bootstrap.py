"""Create our data model in a Twenty workspace through /metadata, then prove it exists.

Idempotent: the workspace is listed first and only what is missing is created (a repeated
createOneObject fails in Twenty). A field that exists with another type is never touched;
it is reported, as is anything the /graphql introspection does not show afterwards, so an
operator learns exactly what to fix by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .client import TwentyClient
from .config import TwentyConfig
from .data_model import CUSTOM_OBJECTS, PERSON_FIELDS, FieldSpec, ObjectSpec
from .rate_limit import TokenBucket

log = logging.getLogger("crm_plugin.twenty.bootstrap")


@dataclass
class BootstrapReport:
    created: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """Hungarian: shown to admins as the bootstrap action's result."""
        created = ", ".join(self.created) if self.created else "semmi (az adatmodell már teljes)"
        text = f"Létrehozva: {created}"
        if self.problems:
            text += "; hibák: " + "; ".join(self.problems)
        return text


def _fields_by_name(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in obj.get("fieldsList") or []}


def _ensure_field(
    client: TwentyClient, obj: dict[str, Any], spec: FieldSpec, report: BootstrapReport
) -> None:
    where = f"{obj['nameSingular']}.{spec.name}"
    existing = _fields_by_name(obj).get(spec.name)
    if existing is None:
        client.create_field(spec.create_input(obj["id"]))
        report.created.append(where)
        return
    if existing.get("type") != spec.type:
        report.problems.append(
            f"{where}: metadata type is {existing.get('type')}, expected {spec.type}"
        )
    if spec.is_unique and not existing.get("isUnique"):
        report.problems.append(f"{where}: must be unique (isUnique), it is not")
    if existing.get("isActive") is False:
        report.problems.append(f"{where}: field is deactivated")
    if spec.options:
        values = [o.get("value") for o in existing.get("options") or []]
        missing = [v for v in spec.options if v not in values]
        if missing:
            report.problems.append(f"{where}: missing options {', '.join(missing)}")


def _ensure_relation(
    client: TwentyClient, obj: dict[str, Any], spec: ObjectSpec, person_id: str,
    report: BootstrapReport,
) -> None:  # fmt: skip
    existing = _fields_by_name(obj).get("person")
    where = f"{obj['nameSingular']}.person"
    if existing is None:
        client.create_field(
            {
                "objectMetadataId": obj["id"],
                "type": "RELATION",
                "name": "person",
                "label": "Person",
                "isNullable": True,
                "relationCreationPayload": {
                    "type": "MANY_TO_ONE",
                    "targetObjectMetadataId": person_id,
                    "targetFieldLabel": spec.label_plural,
                    "targetFieldIcon": spec.icon,
                },
            }
        )
        report.created.append(where)
    elif existing.get("type") != "RELATION":
        found = existing.get("type")
        report.problems.append(f"{where}: metadata type is {found}, expected RELATION")


def bootstrap_schema(client: TwentyClient) -> BootstrapReport:
    """Create what is missing of our model, then verify it by introspection."""
    report = BootstrapReport()
    objects = {o["nameSingular"]: o for o in client.list_objects()}
    person = objects.get("person")
    if person is None:
        report.problems.append("person: the standard object is missing from the workspace")
        return report
    for spec in PERSON_FIELDS:
        _ensure_field(client, person, spec, report)
    for obj_spec in CUSTOM_OBJECTS:
        obj = objects.get(obj_spec.name_singular)
        if obj is None:
            created = client.create_object(
                {
                    "nameSingular": obj_spec.name_singular,
                    "namePlural": obj_spec.name_plural,
                    "labelSingular": obj_spec.label_singular,
                    "labelPlural": obj_spec.label_plural,
                    "icon": obj_spec.icon,
                    "isLabelSyncedWithName": False,
                }
            )
            report.created.append(obj_spec.name_singular)
            obj = {**created, "fieldsList": []}
        elif obj.get("isActive") is False:
            report.problems.append(f"{obj_spec.name_singular}: object is deactivated")
            continue
        _ensure_relation(client, obj, obj_spec, person["id"], report)
        for spec in obj_spec.fields:
            _ensure_field(client, obj, spec, report)
    report.problems.extend(verify_schema(client))
    log.info("twenty schema bootstrap: %s", report.summary())
    return report


def _named_type(type_ref: dict[str, Any] | None) -> str | None:
    while type_ref is not None and type_ref.get("name") is None:
        type_ref = type_ref.get("ofType")
    return type_ref.get("name") if type_ref else None


def _verify_type(
    client: TwentyClient, type_name: str, expected: dict[str, str], where: str
) -> list[str]:
    introspected = client.introspect_type(type_name)
    if introspected is None:
        return [f"{where}: type {type_name} is missing from /graphql"]
    actual = {f["name"]: _named_type(f["type"]) for f in introspected.get("fields") or []}
    problems = []
    for name, graphql_type in expected.items():
        if name not in actual:
            problems.append(f"{where}.{name}: missing from /graphql (expected {graphql_type})")
        elif actual[name] != graphql_type:
            problems.append(
                f"{where}.{name}: /graphql type is {actual[name]}, expected {graphql_type}"
            )
    return problems


def _verify_enum(client: TwentyClient, spec: FieldSpec, where: str) -> list[str]:
    introspected = client.introspect_type(spec.graphql_type)
    values = {v["name"] for v in (introspected or {}).get("enumValues") or []}
    missing = [v for v in spec.options if v not in values]
    return [f"{where}: enum {spec.graphql_type} lacks {', '.join(missing)}"] if missing else []


def verify_schema(client: TwentyClient) -> list[str]:
    """What /graphql lacks or types differently from core-subset.graphql (empty: all good)."""
    person_expected = {f.name: f.graphql_type for f in PERSON_FIELDS}
    for obj_spec in CUSTOM_OBJECTS:
        person_expected[obj_spec.name_plural] = f"{obj_spec.graphql_type}Connection"
    problems = _verify_type(client, "Person", person_expected, "person")
    for spec in PERSON_FIELDS:
        if spec.options:
            problems += _verify_enum(client, spec, f"person.{spec.name}")
    for obj_spec in CUSTOM_OBJECTS:
        expected = {f.name: f.graphql_type for f in obj_spec.fields}
        expected.update({"name": "String", "personId": "ID", "person": "Person"})
        problems += _verify_type(client, obj_spec.graphql_type, expected, obj_spec.name_singular)
        for spec in obj_spec.fields:
            if spec.options:
                problems += _verify_enum(client, spec, f"{obj_spec.name_singular}.{spec.name}")
    return problems




def ensure_schema(settings: Mapping[str, object]) -> str:
    """The CRM plugin's setup step (manifest ``setup_step``): our data model exists in the
    workspace these settings point at. Idempotent; raises when something is left missing."""
    config = TwentyConfig.from_settings(settings)
    with TwentyClient(config, bucket=TokenBucket(config.calls_per_minute)) as client:
        report = bootstrap_schema(client)
    if not report.ok:
        raise RuntimeError(f"A Twenty adatmodell hiányos: {report.summary()}")
    return report.summary()


__all__ = (
    "CUSTOM_OBJECTS",
    "PERSON_FIELDS",
    "BootstrapReport",
    "bootstrap_schema",
    "ensure_schema",
    "verify_schema",
)
