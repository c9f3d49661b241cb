"""The metadata state of one Twenty workspace: its objects, fields and webhooks.

Every change bumps `version`; the /graphql schema is rebuilt from this state whenever the
version moves, as Twenty rebuilds its schema per metadata version.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sandboxes.twenty.model import FieldMeta, ObjectMeta


@dataclass
class WorkspaceMember:
    """The user the sandbox pretends made 'by hand' changes in the Twenty UI."""

    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    user_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    first_name: str = "Sandbox"
    last_name: str = "User"
    email: str = "sandbox.user@example.com"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass
class Workspace:
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    application_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    objects: dict[str, ObjectMeta] = field(default_factory=dict)
    webhooks: dict[str, dict[str, Any]] = field(default_factory=dict)
    member: WorkspaceMember = field(default_factory=WorkspaceMember)
    version: int = 1

    def bump(self) -> None:
        self.version += 1

    def add_object(self, obj: ObjectMeta) -> None:
        self.objects[obj.id] = obj

    def get_object(self, object_id: str) -> ObjectMeta | None:
        return self.objects.get(object_id)

    def object_named(self, name_singular: str) -> ObjectMeta | None:
        return next((o for o in self.objects.values() if o.name_singular == name_singular), None)

    def object_by_any_name(self, name: str) -> ObjectMeta | None:
        """Control endpoints accept either the singular or the plural name."""
        return next(
            (o for o in self.objects.values() if name in (o.name_singular, o.name_plural)), None
        )

    def find_field(self, field_id: str) -> tuple[ObjectMeta, FieldMeta] | None:
        for obj in self.objects.values():
            for f in obj.fields:
                if f.id == field_id:
                    return obj, f
        return None

    def api_objects(self) -> list[ObjectMeta]:
        """Objects that get a records API in /graphql."""
        return [o for o in self.objects.values() if o.is_active and o.has_records_api]

    def relation_target(self, f: FieldMeta) -> ObjectMeta | None:
        if f.relation is None:
            return None
        return self.objects.get(f.relation.target_object_id)

    def inverse_field(self, f: FieldMeta) -> FieldMeta | None:
        if f.relation is None:
            return None
        found = self.find_field(f.relation.target_field_id)
        return found[1] if found else None

    def is_exposed(self, f: FieldMeta) -> bool:
        """A relation is in the schema only while both ends are active."""
        if not f.is_active:
            return False
        target = self.relation_target(f)
        if f.relation is None:
            return True
        inverse = self.inverse_field(f)
        return target is not None and target.is_active and (inverse is None or inverse.is_active)
