"""Root URLconf.

The core knows no plugin by name: any installed app whose AppConfig declares
`mounted_urls = (("prefix/", "dotted.urls.module"), ...)` gets those URLconfs mounted,
so a plugin removed from INSTALLED_APPS simply disappears from the URL space.
"""

from django.apps import apps
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView

admin.site.site_header = "KGC ERP"
admin.site.site_title = "KGC ERP"
admin.site.index_title = "Pult és adminisztráció"


def _app_mounted_urls() -> list[URLPattern | URLResolver]:
    patterns: list[URLPattern | URLResolver] = []
    for app_config in apps.get_app_configs():
        for prefix, module in getattr(app_config, "mounted_urls", ()):
            patterns.append(path(prefix, include(module)))
    return patterns


urlpatterns: list[URLPattern | URLResolver] = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    *_app_mounted_urls(),
    path("admin/", admin.site.urls),
]
