"""Plugin manager hot path: what `runtime.subscribers_for_event` costs on every model save,
and how fast a switch reaches another process.

    .venv/bin/python -m bench.plugin_runtime [--calls 20000] [--tenants 50]

Figures:
- warm call (snapshot current: one Redis GET), with the number of SQL queries per call;
- an event type nobody subscribes to (answered from the in-memory index, no I/O at all);
- first call after a switch (snapshot reload: one query over the whole state table);
- the Redis-unavailable fallback, and a plain per-call ORM query, for comparison;
- propagation: a second process polls `is_enabled`; the time from the switch's commit
  to that process seeing it.
Uses the benchmark database (bench/bench_database.py); its own rows are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from bench.bench_database import REPO, setup_django

PROBE = """
import os, sys, time
sys.path.insert(0, {repo!r})
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kgc_erp.settings")
import django; django.setup()
from apps.plugin_manager import runtime
tenant_id = {tenant_id}
print("ready", flush=True)
for line in sys.stdin:
    expected = line.strip() == "1"
    while runtime.is_enabled("crm", tenant_id) != expected:
        time.sleep(0.0005)
    print(time.time(), flush=True)
"""


def stats(samples_us: list[float]) -> str:
    ordered = sorted(samples_us)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"mean {statistics.fmean(ordered):.1f} µs, p50 {statistics.median(ordered):.1f} µs, " \
           f"p99 {p99:.1f} µs"


def timed(fn, calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--tenants", type=int, default=50)
    parser.add_argument("--switches", type=int, default=30)
    args = parser.parse_args()
    setup_django()
    import logging

    logging.getLogger("plugin_manager").setLevel(logging.WARNING)

    from django.core.cache import cache
    from django.db import connection, transaction
    from django.db.models import Q
    from django.test import override_settings
    from django.test.utils import CaptureQueriesContext

    from apps.plugin_manager import runtime, snapshot
    from apps.plugin_manager.models import PluginState, PluginToggleAudit
    from apps.plugin_manager.services import set_enabled, update_settings
    from kgc_erp.tenants.models import Tenant

    installed = {p.plugin_id for p in runtime.installed_plugins()}
    if "crm" not in installed:
        sys.exit("the crm plugin must be installed for this benchmark")
    tenants = [
        Tenant.objects.get_or_create(slug=f"bench-franchise-{i}",
                                     defaults={"name": f"Bench franchise {i}"})[0]
        for i in range(args.tenants)
    ]
    PluginState.objects.all().delete()
    audits_before = PluginToggleAudit.objects.order_by("-pk").values_list("pk", flat=True).first()
    update_settings("crm", None, {"crm_api_url": "https://crm.example.test",
                                  "crm_api_key": "bench-key-0123456789"})
    set_enabled("crm", None, True)
    for tenant in tenants[::2]:  # half the franchises have their own row
        set_enabled("crm", tenant, tenant.pk % 4 == 0)
    tenant = tenants[1]
    rows = PluginState.objects.count()
    print(f"state rows: {rows}; installed plugins: {', '.join(sorted(installed))}")

    runtime.subscribers_for_event("partner.updated", tenant.pk)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(1000):
            runtime.subscribers_for_event("partner.updated", tenant.pk)
    warm = timed(lambda: runtime.subscribers_for_event("partner.updated", tenant.pk), args.calls)
    print(f"warm subscribers_for_event ({args.calls} calls): {stats(warm)}; "
          f"SQL queries per call: {len(queries) / 1000:g}")

    nobody = timed(lambda: runtime.subscribers_for_event("bench.nobody_listens", tenant.pk),
                   args.calls)
    print(f"event type without subscribers: {stats(nobody)}")

    cold = []
    for _ in range(200):
        snapshot.bump_version()
        started = time.perf_counter()
        runtime.subscribers_for_event("partner.updated", tenant.pk)
        cold.append((time.perf_counter() - started) * 1e6)
    print(f"first call after a switch (reload of {rows} rows): {stats(cold)}")

    unreachable = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                               "LOCATION": "redis://127.0.0.1:1/0",
                               "OPTIONS": {"socket_connect_timeout": 0.05}}}
    logging.getLogger("plugin_manager.snapshot").setLevel(logging.ERROR)
    with override_settings(CACHES=unreachable):
        fallback = timed(lambda: runtime.subscribers_for_event("partner.updated", tenant.pk),
                         2000)
    print(f"Redis unreachable (direct query each call): {stats(fallback)}")

    def plain_query() -> list:
        return list(PluginState.objects.filter(
            Q(tenant_id=tenant.pk) | Q(tenant__isnull=True), plugin_id__in=("crm", "support")
        ).values_list("plugin_id", "tenant_id", "enabled"))

    plain = timed(plain_query, 5000)
    print(f"for comparison, one indexed ORM query per call: {stats(plain)}")

    # Propagation to another process.
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE.format(repo=str(REPO), tenant_id=tenant.pk)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=os.environ.copy(),
    )
    assert probe.stdout.readline().strip() == "ready"
    delays = []
    state = runtime.is_enabled("crm", tenant.pk)
    for _ in range(args.switches):
        state = not state
        probe.stdin.write("1\n" if state else "0\n")
        probe.stdin.flush()
        time.sleep(0.05)  # the probe is now polling for the new value
        with transaction.atomic():
            set_enabled("crm", None, state)
            set_enabled("crm", tenant, None)
            committing = time.time()  # measured from just before COMMIT (an upper bound)
        seen = float(probe.stdout.readline())
        delays.append((seen - committing) * 1000)
    probe.stdin.close()
    probe.wait(timeout=10)
    print(f"switch visible in another process, from COMMIT ({args.switches} switches): "
          f"p50 {statistics.median(delays):.1f} ms, max {max(delays):.1f} ms")

    PluginState.objects.all().delete()
    PluginToggleAudit.objects.filter(pk__gt=audits_before or 0).delete()
    Tenant.objects.filter(slug__startswith="bench-franchise-").delete()
    cache.delete(snapshot.VERSION_KEY)


if __name__ == "__main__":
    main()
