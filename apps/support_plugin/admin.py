"""Django's admin autodiscovery imports `<app>/admin.py`: each connector registers its own
pages in its package."""

from apps.support_plugin.chatwoot import admin as chatwoot_admin  # noqa: F401 - registers
