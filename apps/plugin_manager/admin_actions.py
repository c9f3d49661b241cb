"""Plugins' ``admin_actions`` on core change lists, registered through the core's seam.

Each becomes a Django admin action on its model (``kgc_erp.admin_extensions``): visible
only with the declared permission, refused while the plugin is off for the user's scope,
and started as a background ``PluginActionRun`` (the selected ids as its parameters); the
message links to the plugin page where its progress and result are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html

from kgc_erp.admin_extensions import register_action
from kgc_erp.tenants.scoping import tenant_of_user

from .actions import start_action
from .plugins import AdminAction, PluginAppConfig
from .registry import installed_plugins


def build_admin_action(plugin: PluginAppConfig, action: AdminAction) -> Callable[..., None]:
    def run(modeladmin: admin.ModelAdmin, request: Any, queryset: QuerySet[Any]) -> None:
        if not request.user.has_perm(action.permission):
            modeladmin.message_user(request, "Ehhez a művelethez nincs jogosultsága.",
                                    messages.ERROR)
            return
        ids = list(queryset.values_list("pk", flat=True)[: action.max_objects + 1])
        if len(ids) > action.max_objects:
            modeladmin.message_user(
                request, f"Egyszerre legfeljebb {action.max_objects} sort választhat ki.",
                messages.ERROR)
            return
        tenant = tenant_of_user(request.user)
        try:
            started = start_action(plugin.plugin_id, tenant, action.name, user=request.user,
                                   parameters={"object_ids": ids})
        except ValidationError as exc:
            modeladmin.message_user(request, " ".join(exc.messages), messages.ERROR)
            return
        result = reverse("admin:plugin_manager_run_result", args=[started.pk])
        modeladmin.message_user(request, format_html(
            "„{}” elindult a háttérben (#{}). Az eredményt <a href=\"{}\">itt</a> töltheti "
            "le, amint elkészült.", action.label, started.pk, result))

    run.short_description = action.label  # type: ignore[attr-defined]
    run.required_permission = action.permission  # type: ignore[attr-defined]
    run.__name__ = f"{plugin.plugin_id}_{action.name}"
    return run


def register_plugin_admin_actions() -> None:
    for plugin in installed_plugins():
        for action in plugin.admin_actions:
            model = apps.get_model(action.model)
            register_action(model, f"{plugin.plugin_id}_{action.name}",
                            build_admin_action(plugin, action))


__all__ = ("build_admin_action", "register_plugin_admin_actions")
