"""A tenant's Chatwoot settings as the inbound webhook source reads them: cached per process.

The inbox asks twice per webhook (the secret before the signature check, the account id
for the tenant check), and each answer cost a ``ChatwootAccount`` query plus decrypting
its secrets. The answer is kept per tenant for STALENESS_SECONDS and for as long as the
plugin-state snapshot it was computed from is current, so:

- a change of the plugin settings is seen as soon as the inbox sees the new snapshot (the
  inbox pins one per request, itself at most ``STATE_STALENESS_SECONDS`` old);
- a ``ChatwootAccount`` saved or deleted in this process is seen at once (signals below);
- one changed in another process is seen within STALENESS_SECONDS, the same bound the
  inbox already accepts for a plugin switched off elsewhere.

Only the inbox uses this; handlers and clients read ``config.settings_for`` fresh.
"""

from __future__ import annotations

import time

from django.db.models.signals import post_delete, post_save

from apps.plugin_manager.snapshot import current_snapshot
from kgc_erp.tenants.models import Tenant

from .config import ChatwootSettings, settings_for
from .models import ChatwootAccount

STALENESS_SECONDS = 1.0
_MAX_ENTRIES = 10_000
_clock = time.monotonic  # the tests move it

# tenant pk -> (the snapshot it was computed from, monotonic expiry, settings)
_entries: dict[int, tuple[object, float, ChatwootSettings]] = {}


def webhook_settings_for(tenant: Tenant) -> ChatwootSettings:
    snapshot = current_snapshot()  # inside the inbox's pin: the request's own snapshot
    now = _clock()
    cached = _entries.get(tenant.pk)
    if cached is not None and cached[0] is snapshot and cached[1] > now:
        return cached[2]
    settings = settings_for(tenant)
    if len(_entries) >= _MAX_ENTRIES:
        _entries.clear()
    _entries[tenant.pk] = (snapshot, now + STALENESS_SECONDS, settings)
    return settings


def forget(tenant_id: int | None = None) -> None:
    """Drop the cached settings of one tenant (all when None)."""
    if tenant_id is None:
        _entries.clear()
    else:
        _entries.pop(tenant_id, None)


def _account_changed(sender: type, instance: ChatwootAccount, **_: object) -> None:
    forget(instance.tenant_id)


post_save.connect(_account_changed, sender=ChatwootAccount,
                  dispatch_uid="chatwoot-webhook-settings-saved")
post_delete.connect(_account_changed, sender=ChatwootAccount,
                    dispatch_uid="chatwoot-webhook-settings-deleted")

__all__ = ("STALENESS_SECONDS", "forget", "webhook_settings_for")
