"""Audit and action-run details in words an admin reads, instead of raw dictionaries."""

from __future__ import annotations

from collections.abc import Mapping

from .actions import action_label
from .registry import UnknownPlugin, get_plugin


def _switch(value: object) -> str:
    if value is True:
        return "bekapcsolva"
    if value is False:
        return "kikapcsolva"
    return "öröklött" if value is None else str(value)


def _setting_label(plugin_id: str, name: str) -> str:
    try:
        schema = get_plugin(plugin_id).settings_schema
    except UnknownPlugin:
        return name
    return next((field.label for field in schema if field.name == name), name)


def audit_summary(plugin_id: str, action: str, details: Mapping[str, object]) -> str:
    """One Hungarian sentence for an audit row's details."""
    if action in ("enable", "disable", "inherit"):
        return f"Állapot: {_switch(details.get('before'))} → {_switch(details.get('after'))}"
    if action == "settings":
        changed = details.get("changed")
        secrets = details.get("secrets_changed")
        raw = [*(changed if isinstance(changed, Mapping) else ()),
               *(secrets if isinstance(secrets, list) else ())]
        names = [_setting_label(plugin_id, str(name)) for name in raw]
        return "Módosított beállítások: " + (", ".join(names) if names else "nincs")
    if action == "action":
        label = action_label(plugin_id, str(details.get("action") or ""))
        run_id = details.get("run_id")
        return f"„{label}” elindítva" + (f" (#{run_id})" if run_id else "")
    if action == "test":
        status = details.get("status")
        return f"Kapcsolatteszt eredménye: {status}" if status else "Kapcsolatteszt"
    return ", ".join(f"{key}: {value}" for key, value in details.items())


__all__ = ("audit_summary",)
