"""Which systems a request has steps in: the built-ins, then every plugin's declared ones."""

from __future__ import annotations

from dataclasses import dataclass

from apps.plugin_manager.registry import privacy_handler_index

from .models import SYSTEM_ERP, SYSTEM_EVENTBUS

BUILT_INS: dict[str, str] = {
    SYSTEM_ERP: "apps.plugin_manager.privacy.builtin_erp.ErpPrivacyHandler",
    SYSTEM_EVENTBUS: "apps.plugin_manager.privacy.builtin_eventbus.EventBusPrivacyHandler",
}


@dataclass(frozen=True)
class System:
    name: str
    plugin_id: str  # "" for a built-in
    handler_path: str


def all_systems() -> list[System]:
    systems = [System(name, "", path) for name, path in BUILT_INS.items()]
    for name, (plugin_id, path) in sorted(privacy_handler_index().items()):
        systems.append(System(name, plugin_id, path))
    return systems


def handler_path(system: str) -> str | None:
    if system in BUILT_INS:
        return BUILT_INS[system]
    entry = privacy_handler_index().get(system)
    return entry[1] if entry else None


__all__ = ("BUILT_INS", "System", "all_systems", "handler_path")
