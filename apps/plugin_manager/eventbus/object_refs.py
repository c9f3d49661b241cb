"""How an event names the row it is about, and how a handler gets that row back.

An object reference is (`app_label.model_name`, primary key as text). Plugins may also
use their own namespace (e.g. "helpdesk.conversation" with the remote id), which simply
resolves to no local row.
"""

from __future__ import annotations

from django.apps import apps
from django.db.models import Model


def object_type_of(model: type[Model]) -> str:
    """The object type events and external refs use for rows of `model`."""
    return model._meta.label_lower


def object_ref(obj: Model) -> tuple[str, str]:
    return object_type_of(type(obj)), str(obj.pk)


def load_object(object_type: str, object_id: str) -> Model | None:
    """The current row, or None when it is gone (or the type is not a local model)."""
    if not object_type or not object_id:
        return None
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return None
    try:
        # No .first(): its ORDER BY buys nothing on a primary key lookup.
        rows = list(model._default_manager.filter(pk=object_id)[:1])
    except (ValueError, TypeError):  # an id that does not fit the primary key's type
        return None
    return rows[0] if rows else None


__all__ = ("load_object", "object_ref", "object_type_of")
