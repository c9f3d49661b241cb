"""The admin sidebar (unfold's SIDEBAR["navigation"] callback).

Unfold replaces its default app list as soon as a navigation is configured, so this builds
the whole sidebar: first the pages installed apps contribute (an AppConfig attribute
`admin_navigation`, like `mounted_urls`: the core names no plugin), then every app and
model of the default app list, which keeps its permissions and verbose names.

A contributed group is `{"title": str, "items": [{"title", "icon", "link": <URL name>,
"permission": <dotted path of a request -> bool callable>}]}`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse


def _is_active(link: str, pages: frozenset[str], request: HttpRequest) -> bool:
    # Unfold's own test (link is a substring of the path) would also light up a model
    # when one of its extra pages is open (/admin/eventbus/delivery/integrations/).
    return request.path.startswith(link) and request.path not in pages


def _contributed_groups() -> list[dict[str, Any]]:
    groups = []
    for config in apps.get_app_configs():
        for group in getattr(config, "admin_navigation", ()):
            items = [{**item, "link": reverse(item["link"])} for item in group["items"]]
            groups.append({**group, "items": items})
    return groups


def sidebar(request: HttpRequest) -> list[dict[str, Any]]:
    groups = _contributed_groups()
    pages = frozenset(item["link"] for group in groups for item in group["items"])
    for app in admin.site.get_app_list(request):
        items = []
        for model in app["models"]:
            link = model.get("admin_url")
            if not link:
                continue
            active: Callable[[HttpRequest], bool] = partial(_is_active, link, pages)
            items.append({"title": model["name"], "link": link, "active": active})
        if items:
            groups.append({"title": app["name"], "items": items})
    return groups
