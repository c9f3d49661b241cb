"""The ERP with every optional app (`apps.*`, i.e. the plugin manager, the event bus and
all plugins) removed from INSTALLED_APPS, to prove the core starts, migrates and passes
its tests without them. Uses its own test database so it never touches the normal one."""

from kgc_erp.settings import *  # noqa: F403
from kgc_erp.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("apps.")]

DATABASES = {
    "default": {
        **DATABASES["default"],
        "TEST": {"NAME": f"{DATABASES['default']['TEST'].get('NAME') or 'test_kgc'}_noplugins"},
    }
}
