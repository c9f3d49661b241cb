"""Where optional apps extend the core's admin pages without the core importing them.

The core declares the seams; an integration layer (the plugin manager) registers into them
from its ``AppConfig.ready()``. Two seams, both per model:

- **panels** on a change page: ``ChangePanel(key, title, render)`` where ``render(request,
  obj) -> str`` returns trusted HTML (the registrant escapes what it shows);
- **actions** on a change list: plain Django admin action functions, which carry their own
  permission check (``required_permission`` or a check inside). An action may name core
  actions it ``replaces`` (e.g. an erasure with receipts instead of the core's direct one):
  those are then not offered.

Registration is idempotent by key, so a repeated ``ready()`` (tests) adds nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model
from django.http import HttpRequest

AdminAction = Callable[..., Any]


@dataclass(frozen=True)
class ChangePanel:
    key: str
    title: str  # Hungarian, shown above the panel
    render: Callable[[HttpRequest, Model], str]


_panels: dict[str, dict[str, ChangePanel]] = {}
_actions: dict[str, dict[str, AdminAction]] = {}


def _label(model: type[Model]) -> str:
    return model._meta.label_lower


def register_panel(model: type[Model], panel: ChangePanel) -> None:
    _panels.setdefault(_label(model), {})[panel.key] = panel


def register_action(model: type[Model], name: str, action: AdminAction) -> None:
    _actions.setdefault(_label(model), {})[name] = action


def panels_for(model: type[Model]) -> list[ChangePanel]:
    return list(_panels.get(_label(model), {}).values())


def actions_for(model: type[Model]) -> dict[str, AdminAction]:
    return dict(_actions.get(_label(model), {}))


class ExtensibleAdminMixin:
    """Mixed into a core ModelAdmin: adds the registered actions and renders the panels
    (``extension_panels`` in the change form's context, shown by the model's template)."""

    model: type[Model]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions: dict[str, Any] = super().get_actions(request)  # type: ignore[misc]
        for function in actions_for(self.model).values():
            for replaced in getattr(function, "replaces", ()):
                actions.pop(replaced, None)
        for name, function in actions_for(self.model).items():
            description = getattr(function, "short_description", name)
            if self._allowed(request, function):
                actions[name] = (function, name, description)
        return actions

    @staticmethod
    def _allowed(request: HttpRequest, function: AdminAction) -> bool:
        permission = getattr(function, "required_permission", None)
        return permission is None or bool(request.user.has_perm(permission))

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        context = dict(extra_context or {})
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is not None:
            context["extension_panels"] = [
                {"key": panel.key, "title": panel.title, "html": panel.render(request, obj)}
                for panel in panels_for(self.model)
            ]
        return super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context=context
        )


__all__ = (
    "ChangePanel",
    "ExtensibleAdminMixin",
    "actions_for",
    "panels_for",
    "register_action",
    "register_panel",
)
