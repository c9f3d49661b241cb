"""Partners -> Chatwoot contacts through the whole pipeline, against the Chatwoot sandbox.

    .venv/bin/python -m bench.chatwoot_contacts [--partners 10000] [--idle 200] [--concurrency 3]

Starts the Chatwoot sandbox (own process), a private redis-server and a Celery worker on
the benchmark database, connects a fresh tenant to the sandbox through the plugin manager,
then:

1. idle: creates ``--idle`` partners one at a time, 50 ms apart, and reports the p50/p95
   delay from the partner's commit to its contact being linked (target p95 < 1 s);
2. burst: creates ``--partners`` partners as fast as one process can (``--batch`` per
   transaction, as an import would), waits until every one has its contact, and reports
   contacts/s (target >= 50/s) and the delay percentiles under that load. At the end the
   sandbox's own contact count is checked.

Commit -> contact delay = ``ExternalRef.last_synced_at`` (written right after Chatwoot
answered the create) minus the wall-clock time right after the partner's commit.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from bench.bench_database import setup_django
from bench.sandbox_process import start_sandbox

API_TOKEN = "bench-api-token"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def delays(committed: dict[int, datetime]) -> list[float]:
    """Seconds from each partner's commit to its contact link (``last_synced_at``)."""
    from apps.plugin_manager.eventbus.models import ExternalRef

    synced = dict(
        ExternalRef.objects.filter(system="chatwoot", object_type="partners.partner",
                                   object_id__in=[str(p) for p in committed])
        .values_list("object_id", "last_synced_at")
    )
    return [(synced[str(pk)] - at) / timedelta(seconds=1)
            for pk, at in committed.items() if synced.get(str(pk))]


def filter_latency_ms(port: int, runs: int = 20) -> float:
    """The sandbox's own cost of one contact filter (identifier/e-mail/phone) right now."""
    body = {"payload": [
        {"attribute_key": "identifier", "filter_operator": "equal_to", "values": ["0"],
         "query_operator": "OR"},
        {"attribute_key": "email", "filter_operator": "equal_to", "values": ["x@example.hu"]},
    ]}
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        requests.post(f"http://127.0.0.1:{port}/api/v1/accounts/1/contacts/filter", json=body,
                      headers={"api_access_token": API_TOKEN}, timeout=30).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 0.5)


def wait_all_linked(tenant: object, expected: int, timeout: float) -> float:
    """Block until the tenant has ``expected`` synced partner links; returns the time."""
    from apps.plugin_manager.eventbus.models import ExternalRef

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = ExternalRef.objects.filter(system="chatwoot", tenant=tenant,
                                          sync_status="synced").count()
        if done >= expected:
            return time.monotonic()
        time.sleep(0.1)
    raise RuntimeError(f"fewer than {expected} contacts were linked within {timeout}s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20, help="partners per transaction")
    parser.add_argument("--sandbox-port", type=int, default=0)
    args = parser.parse_args()

    setup_django()
    from django.conf import settings
    from django.core.cache import cache
    from django.db import transaction

    from apps.plugin_manager.eventbus.models import ExternalRef
    from apps.support_plugin.chatwoot.accounts import connect_tenant
    from kgc_erp.partners.models import Partner
    from kgc_erp.tenants.models import Tenant
    from tests.infrastructure.processes import CeleryWorker, RedisServer, free_port

    port = args.sandbox_port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="kgc-bench-chatwoot-"))
    redis_server = RedisServer(workdir / "redis").start()
    sandbox = start_sandbox("sandboxes.chatwoot", port, "--api-token", API_TOKEN,
                            health_path="/_sandbox/health")
    worker: CeleryWorker | None = None
    try:
        from kgc_erp.celery import app as celery_app

        celery_app.conf.broker_url = redis_server.url
        db = settings.DATABASES["default"]
        host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
        worker = CeleryWorker({
            "DJANGO_SETTINGS_MODULE": "kgc_erp.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@/{db['NAME']}?host={host}",
            "CELERY_BROKER_URL": redis_server.url,
            "CACHE_URL": settings.CACHES["default"]["LOCATION"],
            "SUPPORT_MODULE_ENABLED": "false",
        }, workdir, concurrency=args.concurrency).start()

        slug = f"bench-cw-{uuid.uuid4().hex[:6]}"
        tenant = Tenant.objects.create(name=f"Bench {slug}", slug=slug)
        connect_tenant(tenant, f"http://127.0.0.1:{port}", API_TOKEN, 1)
        cache.clear()

        # 1. idle: one partner per transaction, 50 ms apart
        idle_committed: dict[int, datetime] = {}
        for n in range(args.idle):
            pk = Partner.objects.create(
                tenant=tenant, name=f"Idle Partner {n}", phone=f"+3620{1000000 + n:07d}",
                email=f"idle{n}.{slug}@example.hu").pk
            idle_committed[pk] = datetime.now(UTC)
            time.sleep(0.05)
        wait_all_linked(tenant, args.idle, 120)
        idle = delays(idle_committed)
        empty_filter_ms = filter_latency_ms(port)

        # 2. burst: as fast as one process can save them (``--batch`` per transaction)
        burst_committed: dict[int, datetime] = {}
        started = time.monotonic()
        for first in range(0, args.partners, args.batch):
            with transaction.atomic():
                pks = [Partner.objects.create(
                    tenant=tenant, name=f"Bench Partner {n}", phone=f"+3630{1000000 + n:07d}",
                    email=f"p{n}.{slug}@example.hu").pk
                    for n in range(first, min(first + args.batch, args.partners))]
            now = datetime.now(UTC)
            burst_committed.update(dict.fromkeys(pks, now))
        created_in = time.monotonic() - started
        finished = wait_all_linked(tenant, args.idle + args.partners, 3600)
        elapsed = finished - started
        burst = delays(burst_committed)
        full_filter_ms = filter_latency_ms(port)
        in_sandbox = requests.get(
            f"http://127.0.0.1:{port}/api/v1/accounts/1/contacts",
            headers={"api_access_token": API_TOKEN}, timeout=30,
        ).json()["meta"]["count"]
        linked = ExternalRef.objects.filter(system="chatwoot", tenant=tenant,
                                            sync_status="synced").count()
    finally:
        if worker is not None:
            worker.stop()
        sandbox.terminate()
        sandbox.wait(timeout=10)
        redis_server.kill()

    total = args.idle + args.partners
    print(f"cores: {os.cpu_count()}, worker concurrency: {args.concurrency}")
    print(f"idle ({args.idle} partners, 20/s): commit->contact p50 "
          f"{percentile(idle, 0.5) * 1000:.0f} ms, p95 {percentile(idle, 0.95) * 1000:.0f} ms, "
          f"max {max(idle) * 1000:.0f} ms")
    print(f"burst ({args.partners} partners created in {created_in:.1f} s): all contacts in "
          f"{elapsed:.1f} s -> {args.partners / elapsed:.1f} contacts/s")
    print(f"burst commit->contact p50 {percentile(burst, 0.5):.2f} s, "
          f"p95 {percentile(burst, 0.95):.2f} s")
    print(f"sandbox contact filter p50: {empty_filter_ms:.1f} ms with {args.idle} contacts, "
          f"{full_filter_ms:.1f} ms with {total}")
    print(f"contacts in the sandbox: {in_sandbox} (expected {total}); linked: {linked}")
    if in_sandbox != total or linked != total:
        sys.exit("MISMATCH: not every partner became exactly one contact")


if __name__ == "__main__":
    main()
