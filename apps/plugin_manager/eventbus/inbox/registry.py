"""Finds inbound sources by URL name among the installed plugins' manifests."""

from __future__ import annotations

import logging
from functools import cache

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from apps.plugin_manager.eventbus.inbox.sources import InboundSource

logger = logging.getLogger("kgc.eventbus.inbox")


@cache
def all_sources() -> dict[str, InboundSource]:
    sources: dict[str, InboundSource] = {}
    for app_config in apps.get_app_configs():
        declared = getattr(app_config, "webhook_sources", None) or {}
        for name, dotted in declared.items():
            if name in sources:
                raise ImproperlyConfigured(f"webhook source {name!r} is declared twice")
            source_class = import_string(dotted)
            source = source_class()
            if not isinstance(source, InboundSource):
                raise ImproperlyConfigured(f"{dotted} is not an InboundSource")
            source.name = name
            source.plugin_id = getattr(app_config, "plugin_id", "") or app_config.label
            sources[name] = source
    return sources


def get_source(name: str) -> InboundSource | None:
    return all_sources().get(name)


__all__ = ("all_sources", "get_source")
