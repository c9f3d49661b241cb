"""The settings form of one plugin scope, built from the plugin's schema.

Fields are optional at form level: an empty field means "inherit" (from the global row or
the env default), and whether the result is complete is decided by the service when the
scope is enabled. Secret inputs never render the stored value: the help text shows a mask,
an empty input keeps the stored secret, and a separate checkbox clears it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from unfold.widgets import (
    UnfoldAdminPasswordWidget,
    UnfoldAdminSelectWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from . import crypto
from .plugins import PluginAppConfig, SettingField, SettingKind

CLEAR_SUFFIX = "__clear"


def _inherited_text(field: SettingField, inherited: Mapping[str, object]) -> str:
    value = inherited.get(field.name)
    if field.is_secret:
        return crypto.mask(str(value)) if value else "nincs megadva"
    if value in (None, ""):
        return "nincs megadva"
    if isinstance(value, bool):
        return "igen" if value else "nem"
    return str(value)


class PluginSettingsForm(forms.Form):
    def __init__(
        self,
        plugin: PluginAppConfig,
        stored: Mapping[str, object],
        inherited: Mapping[str, object],
        *args: Any,  # Form.__init__'s own arguments, passed through
        **kwargs: Any,
    ) -> None:
        """`stored`: this scope's own row (secrets still encrypted); `inherited`: the
        effective values the scope would have without its own row (decrypted)."""
        super().__init__(*args, **kwargs)
        self.plugin = plugin
        self.schema = list(plugin.settings_schema)
        for field in self.schema:
            own = stored.get(field.name)
            fallback = f"Öröklött érték: {_inherited_text(field, inherited)}"
            help_parts = [field.help_text] if field.help_text else []
            if field.is_secret:
                if own:
                    help_parts.append(
                        f"Tárolt érték: {crypto.mask(crypto.decrypt(str(own)))} "
                        "— üresen hagyva megmarad."
                    )
                else:
                    help_parts.append(fallback)
                self.fields[field.name] = forms.CharField(
                    label=field.label, required=False, strip=True,
                    widget=UnfoldAdminPasswordWidget(render_value=False),
                    help_text=" ".join(help_parts),
                )
                if own:
                    self.fields[field.name + CLEAR_SUFFIX] = forms.BooleanField(
                        label=f"{field.label}: tárolt érték törlése", required=False,
                        widget=UnfoldBooleanWidget,
                    )
                continue
            help_parts.append(fallback)
            help_text = " ".join(help_parts)
            if field.kind is SettingKind.BOOLEAN:
                self.fields[field.name] = forms.ChoiceField(
                    label=field.label, required=False, help_text=help_text,
                    choices=[("", "Öröklött"), ("true", "Igen"), ("false", "Nem")],
                    widget=UnfoldAdminSelectWidget,
                    initial="" if own is None else ("true" if own else "false"),
                )
            else:
                self.fields[field.name] = forms.CharField(
                    label=field.label, required=False, help_text=help_text,
                    widget=UnfoldAdminTextInputWidget,
                    initial="" if own is None else str(own),
                )

    def changes(self) -> tuple[dict[str, object], list[str]]:
        """(values for services.update_settings, names of secrets to clear)."""
        changes: dict[str, object] = {}
        clear: list[str] = []
        for field in self.schema:
            value = self.cleaned_data.get(field.name)
            if field.is_secret:
                if self.cleaned_data.get(field.name + CLEAR_SUFFIX):
                    clear.append(field.name)
                elif value:
                    changes[field.name] = value
                continue
            changes[field.name] = value
        return changes, clear


__all__ = ("PluginSettingsForm",)
