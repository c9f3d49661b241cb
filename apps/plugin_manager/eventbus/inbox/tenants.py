"""Tenant lookup by URL slug for the inbox, cached per process for a few seconds.

Every inbound webhook of a tenant-scoped source names its tenant in the URL; tenants
change rarely, so a short-lived cache saves a query per webhook. A deactivated tenant
stops receiving within TTL_SECONDS.
"""

from __future__ import annotations

import threading
import time

from kgc_erp.tenants.models import Tenant

TTL_SECONDS = 10.0

_lock = threading.Lock()
_entries: dict[str, tuple[float, Tenant | None]] = {}


def active_tenant(slug: str) -> Tenant | None:
    now = time.monotonic()
    with _lock:
        cached = _entries.get(slug)
    if cached is not None and cached[0] > now:
        return cached[1]
    tenant = Tenant.objects.filter(slug=slug, is_active=True).first()
    with _lock:
        if len(_entries) > 10_000:  # unknown slugs from scanners must not grow it forever
            _entries.clear()
        _entries[slug] = (now + TTL_SECONDS, tenant)
    return tenant


def forget_all() -> None:
    with _lock:
        _entries.clear()


__all__ = ("active_tenant", "forget_all")
