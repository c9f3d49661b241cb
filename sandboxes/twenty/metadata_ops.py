"""Object and field metadata changes, validated the way Twenty's /metadata API validates them.

The same code seeds the standard objects (a "system build" that skips user validation),
serves createOneObject/createOneField, and builds the KGC model for /_sandbox/bootstrap.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Protocol

from sandboxes.twenty.clock import now_iso
from sandboxes.twenty.errors import ErrorCode, TwentyError, bad_input, metadata_validation_failed
from sandboxes.twenty.metadata_rules import (
    IDENTICAL_NAMES_MESSAGE,
    OPTION_VALUE_MESSAGE,
    label_errors,
    name_errors,
    option_value_is_valid,
    unquote_sql_literal,
)
from sandboxes.twenty.model import (
    CREATABLE_FIELD_TYPES,
    FieldMeta,
    FieldType,
    ObjectMeta,
    RelationMeta,
    RelationType,
    camel_case,
)
from sandboxes.twenty.workspace import Workspace


class RecordSchemaHooks(Protocol):
    """What the record store must do when the data model changes under it."""

    def drop_object(self, object_id: str) -> None: ...

    def add_column(self, obj: ObjectMeta, f: FieldMeta) -> None: ...

    def drop_column(self, obj: ObjectMeta, f: FieldMeta) -> None: ...

    def rename_column(self, obj: ObjectMeta, old: str, new: str) -> None: ...


@dataclass(frozen=True)
class FieldSpec:
    """Compact description of a field, used to seed standard objects."""

    name: str
    type: FieldType
    label: str = ""
    nullable: bool = True
    unique: bool = False
    default: Any = None
    options: tuple[str, ...] = ()
    settings: dict[str, Any] | None = None


def _new_id() -> str:
    return str(uuid.uuid4())


def _field(obj: ObjectMeta, spec: FieldSpec, *, custom: bool, system: bool = False) -> FieldMeta:
    now = now_iso()
    options = None
    if spec.options:
        options = [
            {"id": _new_id(), "value": v, "label": v.replace("_", " ").title(), "position": i,
             "color": "gray"}
            for i, v in enumerate(spec.options)
        ]  # fmt: skip
    return FieldMeta(
        id=_new_id(),
        object_id=obj.id,
        name=spec.name,
        label=spec.label or spec.name[:1].upper() + spec.name[1:],
        type=spec.type,
        created_at=now,
        updated_at=now,
        is_custom=custom,
        is_system=system,
        is_nullable=spec.nullable,
        is_unique=spec.unique,
        default_value=spec.default,
        options=options,
        settings=spec.settings,
    )


def system_field_specs(*, full: bool = True) -> list[FieldSpec]:
    """The system fields every object has (NOTES section 2)."""
    specs = [
        FieldSpec("id", FieldType.UUID, "Id", nullable=False, default="uuid"),
        FieldSpec("createdAt", FieldType.DATE_TIME, "Creation date", nullable=False, default="now"),
        FieldSpec("updatedAt", FieldType.DATE_TIME, "Last update", nullable=False, default="now"),
        FieldSpec("deletedAt", FieldType.DATE_TIME, "Deleted at"),
    ]
    if full:
        specs += [
            FieldSpec("position", FieldType.POSITION, "Position", nullable=False),
            FieldSpec("createdBy", FieldType.ACTOR, "Created by", nullable=False),
            FieldSpec("updatedBy", FieldType.ACTOR, "Updated by", nullable=False),
            FieldSpec("searchVector", FieldType.TS_VECTOR, "Search vector"),
        ]
    return specs


class MetadataService:
    def __init__(self, workspace: Workspace, hooks: RecordSchemaHooks) -> None:
        self.ws = workspace
        self.hooks = hooks

    # ------------------------------------------------------------------ seeding

    def seed_object(
        self,
        name_singular: str,
        name_plural: str,
        label_singular: str,
        label_plural: str,
        fields: list[FieldSpec],
        *,
        custom: bool = False,
        full_system_fields: bool = True,
        has_records_api: bool = True,
        is_system: bool = False,
        duplicate_criteria: list[list[str]] | None = None,
        label_identifier: str | None = "name",
    ) -> ObjectMeta:
        now = now_iso()
        obj = ObjectMeta(
            id=_new_id(),
            name_singular=name_singular,
            name_plural=name_plural,
            label_singular=label_singular,
            label_plural=label_plural,
            created_at=now,
            updated_at=now,
            is_custom=custom,
            is_system=is_system,
            has_records_api=has_records_api,
            duplicate_criteria=duplicate_criteria,
        )
        for spec in fields:
            obj.fields.append(_field(obj, spec, custom=custom))
        if has_records_api:
            for spec in system_field_specs(full=full_system_fields):
                obj.fields.append(_field(obj, spec, custom=False, system=True))
        identifier = obj.field_named(label_identifier) if label_identifier else None
        obj.label_identifier_field_id = identifier.id if identifier else None
        self.ws.add_object(obj)
        return obj

    def seed_relation(
        self,
        source: ObjectMeta,
        name: str,
        target: ObjectMeta,
        inverse_name: str,
        *,
        label: str = "",
        inverse_label: str = "",
        custom: bool = False,
    ) -> FieldMeta:
        """Create a MANY_TO_ONE field on `source` and its ONE_TO_MANY inverse on `target`."""
        many = _field(source, FieldSpec(name, FieldType.RELATION, label), custom=custom)
        one = _field(
            target, FieldSpec(inverse_name, FieldType.RELATION, inverse_label), custom=custom
        )
        many.relation = RelationMeta(RelationType.MANY_TO_ONE, target.id, one.id, "SET_NULL")
        many.settings = {
            "relationType": "MANY_TO_ONE",
            "onDelete": "SET_NULL",
            "joinColumnName": many.join_column,
        }
        one.relation = RelationMeta(RelationType.ONE_TO_MANY, source.id, many.id)
        one.settings = {"relationType": "ONE_TO_MANY"}
        source.fields.append(many)
        target.fields.append(one)
        return many

    # ------------------------------------------------------------------ objects

    def create_object(self, data: dict[str, Any]) -> ObjectMeta:
        for key in ("nameSingular", "namePlural", "labelSingular", "labelPlural"):
            if not str(data.get(key) or "").strip():
                raise bad_input(f"{key} should not be empty")
        singular = str(data["nameSingular"]).strip()
        plural = str(data["namePlural"]).strip()
        label_singular = str(data["labelSingular"]).strip()
        label_plural = str(data["labelPlural"]).strip()
        messages = name_errors(singular) + name_errors(plural)
        messages += label_errors(label_singular) + label_errors(label_plural)
        if singular == plural:
            messages.append(IDENTICAL_NAMES_MESSAGE)
        synced = bool(data.get("isLabelSyncedWithName"))
        if synced and (
            camel_case(label_singular) != singular or camel_case(label_plural) != plural
        ):
            messages.append("Names are not synced with labels")
        names = {singular, plural}
        for existing in self.ws.objects.values():
            if names & {existing.name_singular, existing.name_plural}:
                messages.append("Object already exists")
                break
        if messages:
            raise metadata_validation_failed(
                "objectMetadata",
                list(dict.fromkeys(messages)),
                action="create",
                entity={"nameSingular": singular, "namePlural": plural},
            )
        skip_name = bool(data.get("skipNameField"))
        fields = [] if skip_name else [FieldSpec("name", FieldType.TEXT, "Name", default="''")]
        obj = self.seed_object(
            singular,
            plural,
            label_singular,
            label_plural,
            fields,
            custom=True,
            label_identifier=None if skip_name else "name",
        )
        # The name field is created by Twenty, not by the user: it is not a custom field.
        for f in obj.fields:
            f.is_custom = False
        obj.description = data.get("description")
        obj.icon = data.get("icon")
        obj.shortcut = data.get("shortcut")
        obj.color = data.get("color")
        obj.is_remote = bool(data.get("isRemote"))
        obj.is_label_synced_with_name = synced
        self.ws.bump()
        return obj

    def update_object(self, object_id: str, update: dict[str, Any]) -> ObjectMeta:
        obj = self._object_or_throw(object_id)
        renames = {k: update[k] for k in ("nameSingular", "namePlural") if update.get(k)}
        if renames and not obj.is_custom:
            raise bad_input("Standard objects cannot be renamed")
        singular = str(renames.get("nameSingular", obj.name_singular)).strip()
        plural = str(renames.get("namePlural", obj.name_plural)).strip()
        messages = name_errors(singular) + name_errors(plural)
        if singular == plural:
            messages.append(IDENTICAL_NAMES_MESSAGE)
        for other in self.ws.objects.values():
            if other.id != obj.id and {singular, plural} & {other.name_singular, other.name_plural}:
                messages.append("Object already exists")
                break
        if messages:
            raise metadata_validation_failed(
                "objectMetadata",
                list(dict.fromkeys(messages)),
                action="update",
                entity={"id": obj.id, "nameSingular": singular},
            )
        obj.name_singular, obj.name_plural = singular, plural
        simple = {
            "labelSingular": "label_singular",
            "labelPlural": "label_plural",
            "description": "description",
            "icon": "icon",
            "shortcut": "shortcut",
            "color": "color",
            "isActive": "is_active",
            "isLabelSyncedWithName": "is_label_synced_with_name",
            "labelIdentifierFieldMetadataId": "label_identifier_field_id",
        }
        for key, attr in simple.items():
            if key in update and update[key] is not None:
                setattr(obj, attr, update[key])
        obj.updated_at = now_iso()
        self.ws.bump()
        return obj

    def delete_object(self, object_id: str) -> ObjectMeta:
        obj = self._object_or_throw(object_id)
        if not obj.is_custom:
            raise bad_input("Standard Objects cannot be deleted")
        # Relations that point at the object disappear with it, on both sides.
        for f in list(obj.fields):
            inverse = self.ws.inverse_field(f)
            if inverse is not None:
                owner = self.ws.get_object(inverse.object_id)
                if owner is not None and owner.id != obj.id:
                    owner.fields.remove(inverse)
                    self.hooks.drop_column(owner, inverse)
        del self.ws.objects[obj.id]
        self.hooks.drop_object(obj.id)
        self.ws.bump()
        return obj

    # ------------------------------------------------------------------ fields

    def create_field(self, data: dict[str, Any]) -> FieldMeta:
        obj = self.ws.get_object(str(data.get("objectMetadataId") or ""))
        if obj is None:
            raise TwentyError(
                "Object metadata does not exist",
                ErrorCode.NOT_FOUND,
                user_friendly_message="Object metadata does not exist",
            )
        for key in ("name", "label"):
            if not str(data.get(key) or "").strip():
                raise bad_input(f"{key} should not be empty")
        field_type = FieldType(data["type"])
        if field_type not in CREATABLE_FIELD_TYPES:
            raise bad_input(f"Field type {field_type} is not supported by the Twenty sandbox")
        name = str(data["name"]).strip()
        label = str(data["label"]).strip()
        messages = name_errors(name) + label_errors(label)
        if name in obj.taken_names() or (
            field_type is FieldType.RELATION and f"{name}Id" in obj.taken_names()
        ):
            messages.append(
                f'Name "{name}" is not available, check that it is not duplicating another '
                "field's name."
            )
        if data.get("isLabelSyncedWithName") and camel_case(label) != name:
            messages.append("Name is not synced with label")
        options = data.get("options")
        if field_type in (FieldType.SELECT, FieldType.MULTI_SELECT):
            messages += self._option_errors(options)
            messages += self._select_default_errors(field_type, data.get("defaultValue"), options)
        if messages:
            raise metadata_validation_failed(
                "fieldMetadata",
                list(dict.fromkeys(messages)),
                action="create",
                entity={"name": name, "objectMetadataId": obj.id},
            )
        spec = FieldSpec(
            name,
            field_type,
            label,
            nullable=data.get("isNullable") is not False,
            unique=bool(data.get("isUnique")),
            default=data.get("defaultValue"),
            settings=data.get("settings"),
        )
        if field_type is FieldType.RELATION:
            created = self._create_relation_field(obj, spec, data)
        else:
            created = _field(obj, spec, custom=True)
            if options is not None:
                created.options = [
                    {**o, "id": o.get("id") or _new_id()} for o in options if isinstance(o, dict)
                ]
            obj.fields.append(created)
            self.hooks.add_column(obj, created)
        created.description = data.get("description")
        created.icon = data.get("icon")
        created.is_label_synced_with_name = bool(data.get("isLabelSyncedWithName"))
        if data.get("isActive") is False:
            created.is_active = False
        self.ws.bump()
        return created

    def _create_relation_field(
        self, obj: ObjectMeta, spec: FieldSpec, data: dict[str, Any]
    ) -> FieldMeta:
        payload = data.get("relationCreationPayload")
        if not isinstance(payload, dict):
            raise bad_input("Relation creation payload is required for RELATION fields")
        missing = [
            k
            for k in ("type", "targetObjectMetadataId", "targetFieldLabel", "targetFieldIcon")
            if not payload.get(k)
        ]
        if missing:
            raise bad_input(f"Relation creation payload is invalid: missing {', '.join(missing)}")
        try:
            relation_type = RelationType(payload["type"])
        except ValueError:
            raise bad_input(
                f"Relation creation payload is invalid: unknown type {payload['type']!r}"
            ) from None
        target = self.ws.get_object(str(payload["targetObjectMetadataId"]))
        if target is None:
            raise TwentyError(
                "Target object metadata does not exist",
                ErrorCode.NOT_FOUND,
                user_friendly_message="Target object metadata does not exist",
            )
        inverse_label = str(payload["targetFieldLabel"]).strip()
        inverse_name = camel_case(inverse_label)
        messages = name_errors(inverse_name)
        if inverse_name in target.taken_names() or f"{inverse_name}Id" in target.taken_names():
            messages.append(
                f'Name "{inverse_name}" is not available, check that it is not duplicating '
                "another field's name."
            )
        if messages:
            raise metadata_validation_failed(
                "fieldMetadata",
                messages,
                action="create",
                entity={"name": inverse_name, "objectMetadataId": target.id},
            )
        if relation_type is RelationType.MANY_TO_ONE:
            many = self.seed_relation(
                obj, spec.name, target, inverse_name,
                label=spec.label, inverse_label=inverse_label, custom=True,
            )  # fmt: skip
            many.is_nullable = spec.nullable
            inverse = self.ws.inverse_field(many)
            if inverse is not None:
                inverse.icon = payload.get("targetFieldIcon")
            self.hooks.add_column(obj, many)
            return many
        many = self.seed_relation(
            target, inverse_name, obj, spec.name,
            label=inverse_label, inverse_label=spec.label, custom=True,
        )  # fmt: skip
        many.icon = payload.get("targetFieldIcon")
        self.hooks.add_column(target, many)
        one = self.ws.inverse_field(many)
        assert one is not None
        return one

    def update_field(self, field_id: str, update: dict[str, Any]) -> FieldMeta:
        obj, f = self._field_or_throw(field_id)
        if not f.is_custom and any(
            k in update for k in ("name", "options", "isUnique", "isNullable", "defaultValue")
        ):
            raise bad_input("Standard field cannot be updated")
        messages: list[str] = []
        new_name = str(update.get("name") or f.name).strip()
        if new_name != f.name:
            messages += name_errors(new_name)
            if new_name in obj.taken_names():
                messages.append(f'Name "{new_name}" is not available')
        if "options" in update and f.type in (FieldType.SELECT, FieldType.MULTI_SELECT):
            messages += self._option_errors(update["options"])
        if messages:
            raise metadata_validation_failed(
                "fieldMetadata",
                list(dict.fromkeys(messages)),
                action="update",
                entity={"id": f.id, "name": f.name},
            )
        if new_name != f.name:
            old_column = f.join_column if f.is_many_to_one else f.name
            f.name = new_name
            new_column = f.join_column if f.is_many_to_one else f.name
            if not f.is_one_to_many:
                self.hooks.rename_column(obj, old_column, new_column)
        simple = {
            "label": "label",
            "description": "description",
            "icon": "icon",
            "isActive": "is_active",
            "isNullable": "is_nullable",
            "isUnique": "is_unique",
            "defaultValue": "default_value",
            "settings": "settings",
            "isLabelSyncedWithName": "is_label_synced_with_name",
        }
        for key, attr in simple.items():
            if key in update and update[key] is not None:
                setattr(f, attr, update[key])
        if update.get("options") is not None:
            f.options = [
                {**o, "id": o.get("id") or _new_id()}
                for o in update["options"]
                if isinstance(o, dict)
            ]
        f.updated_at = now_iso()
        self.ws.bump()
        return f

    def delete_field(self, field_id: str) -> FieldMeta:
        obj, f = self._field_or_throw(field_id)
        if not f.is_custom:
            raise bad_input("Standard Fields cannot be deleted")
        if f.is_active:
            raise bad_input("Active fields cannot be deleted")
        inverse = self.ws.inverse_field(f)
        obj.fields.remove(f)
        self.hooks.drop_column(obj, f)
        if inverse is not None:
            owner = self.ws.get_object(inverse.object_id)
            if owner is not None and inverse in owner.fields:
                owner.fields.remove(inverse)
                self.hooks.drop_column(owner, inverse)
        self.ws.bump()
        return f

    # ------------------------------------------------------------------ helpers

    def _object_or_throw(self, object_id: str) -> ObjectMeta:
        obj = self.ws.get_object(object_id)
        if obj is None:
            raise TwentyError(
                "Object does not exist",
                ErrorCode.NOT_FOUND,
                user_friendly_message="Object does not exist",
            )
        return obj

    def _field_or_throw(self, field_id: str) -> tuple[ObjectMeta, FieldMeta]:
        found = self.ws.find_field(field_id)
        if found is None:
            raise TwentyError(
                "Field does not exist",
                ErrorCode.NOT_FOUND,
                user_friendly_message="Field does not exist",
            )
        return found

    @staticmethod
    def _option_errors(options: object) -> list[str]:
        if not isinstance(options, list) or not options:
            return ["Options are required for enum fields"]
        errors: list[str] = []
        seen: set[str] = set()
        for option in options:
            if not isinstance(option, dict):
                errors.append("Option must be an object")
                continue
            for key in ("value", "label", "position", "color"):
                if option.get(key) is None or option.get(key) == "":
                    errors.append(f"Option {key} is required")
            value = option.get("value")
            if value is not None and not option_value_is_valid(value):
                errors.append(OPTION_VALUE_MESSAGE)
            if isinstance(value, str):
                if value in seen:
                    errors.append("Duplicated option value")
                seen.add(value)
        return errors

    @staticmethod
    def _select_default_errors(
        field_type: FieldType, default: object, options: object
    ) -> list[str]:
        if default is None or not isinstance(options, list):
            return []
        values = {o.get("value") for o in options if isinstance(o, dict)}
        defaults = default if field_type is FieldType.MULTI_SELECT else [default]
        if not isinstance(defaults, list):
            return ["Default value must be an array of quoted option values"]
        errors = []
        for item in defaults:
            bare = unquote_sql_literal(item)
            if bare == item:
                errors.append(f"Default value {item!r} must be a quoted string such as \"'GOOD'\"")
            elif bare not in values:
                errors.append(f"Default value {item!r} is not one of the options")
        return errors
