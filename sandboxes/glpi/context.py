"""Who performs a write and what it may touch, plus the per-item failure of a write.

The API user acts inside its session's active entities; control endpoints act as a GLPI UI
user (a technician) who sees every entity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandboxes.glpi.state import Store


@dataclass(frozen=True)
class Actor:
    users_id: int
    entities: frozenset[int] | None
    """The active entities; None = every entity (a UI user in the control endpoints)."""
    default_entity: int = 0

    def sees_entity(self, entity_id: int) -> bool:
        return self.entities is None or entity_id in self.entities


@dataclass
class ItemFailure(Exception):
    """One item of a write failed; `message` is GLPI's last UI message (may be None/"")."""

    message: str | None


@dataclass
class WriteContext:
    store: Store
    actor: Actor
    notes: list[str] = field(default_factory=list)
    """Sandbox-only explanations (ignored fields, coerced values) for the request log."""

    def note(self, text: str) -> None:
        self.notes.append(text)
