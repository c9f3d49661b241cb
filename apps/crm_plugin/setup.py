"""The CRM plugin's setup step: what the selected backend needs before its first delivery.

Twenty needs our data model in the workspace; Krayin needs nothing created (its default
pipeline, sources and types are seeded by Krayin itself, our lead source on first use).
"""

from __future__ import annotations

from collections.abc import Mapping

from .backends import KRAYIN, backend_of


def ensure_setup(settings: Mapping[str, object]) -> str:
    if backend_of(settings) == KRAYIN:
        return "Krayin: nincs létrehozandó adatmodell."
    from .twenty.schema_bootstrap import ensure_schema

    return ensure_schema(settings)


__all__ = ("ensure_setup",)
