"""The admin-wide warning when an enabled plugin is DOWN.

Wired as unfold's `ENVIRONMENT` callback (settings.UNFOLD), which shows a label in the
header of every admin page. It reads the in-process state snapshot, so it costs one cache
read per page, and it never raises: a warning must not be able to break the admin.
"""

from __future__ import annotations

import logging

from django.apps import apps
from django.http import HttpRequest

log = logging.getLogger("plugin_manager.banner")


def down_plugin_ids() -> list[str]:
    """Plugin ids with at least one enabled scope whose latest check says DOWN."""
    from .runtime import installed_plugins, is_enabled
    from .snapshot import current_rows
    from .status import HealthStatus

    installed = {p.plugin_id for p in installed_plugins()}
    down = {
        plugin_id
        for (plugin_id, tenant_id), row in current_rows().items()
        if row.health_status == HealthStatus.DOWN
        and plugin_id in installed
        and is_enabled(plugin_id, tenant_id)
    }
    return sorted(down)


def environment_badge(request: HttpRequest) -> list[str] | None:
    if not apps.is_installed("apps.plugin_manager"):
        return None
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return None
    try:
        down = down_plugin_ids()
    except Exception:
        log.exception("plugin health banner failed")
        return None
    if not down:
        return None
    return [f"Nem elérhető bővítmény: {', '.join(down)}", "danger"]


__all__ = ("down_plugin_ids", "environment_badge")
