"""Signals of the plugin manager.

`plugin_toggled` is sent with `plugin_id`, `tenant_id` (None for the global row) and
`enabled` (the effective state of that scope after the change) whenever the admin or
the `plugins` command switches a plugin. It is sent after the change commits, so a
receiver that starts a Celery task (e.g. the CRM's schema bootstrap) reads the new state.
"""

from django.dispatch import Signal

plugin_toggled = Signal()
