"""Signals of the plugin manager.

`plugin_toggled` is sent with `plugin_id`, `tenant_id` (None for the global row) and
`enabled` (the effective state of that scope after the change) whenever the admin or
the `plugins` command switches a plugin. It is sent after the change commits, so a
receiver that starts a Celery task (e.g. a connector's schema bootstrap) reads the new state.

`plugin_settings_changed` is sent with `plugin_id`, `tenant_id` (None for the global row),
`changed` (the names of the stored values that changed, secrets included by name only),
`before` and `after` (the scope's effective settings before and after the change, secret
values left out) whenever the admin or a command stores new settings for a scope. It is
sent inside the transaction that stores them, so a receiver may record rows of its own
atomically with the change; work for other processes (Celery tasks) must be queued with
`transaction.on_commit`, so it runs after the change is visible. A change of the global
row also changes every tenant that inherits the value: the receiver decides which of its
tenants that affects.
"""

from django.dispatch import Signal

plugin_toggled = Signal()
plugin_settings_changed = Signal()
