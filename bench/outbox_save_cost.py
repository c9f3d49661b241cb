"""Event bus: what the transactional outbox adds to saving a partner.

    .venv/bin/python -m bench.outbox_save_cost [--saves 1000] [--rounds 5]

An admin-like save (`transaction.atomic()` + `partner.save()`, commit included) of an
existing partner, in three states of the same database:

- none: no plugin enabled and no webhook subscription (the receiver asks who subscribes,
  gets nobody, and writes nothing);
- two plugins: the support and crm plugins enabled, both subscribed to partner.updated:
  one event row, two delivery rows (one statement) and two messages published after
  the commit;
- two webhooks: two outbound webhook subscriptions of the tenant instead.

Rounds alternate the states, so a change in machine load hits all of them alike. Broker
and cache are a private redis-server (real publishes, nothing consumes them); the
database is the benchmark database (bench/bench_database.py). Target: "two" at most 1.5x
"none".
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from bench.measure import (
    CpuMeter,
    cpu_line,
    listening_pid,
    machine_reference,
    per_operation_ms,
    postgres_backends,
)
from bench.private_redis import private_redis

PLUGIN_SETTINGS = {
    "support": {
        "chatwoot_api_url": "https://chatwoot.example.test",
        "chatwoot_api_key": "bench-chatwoot-key-0123",
        "chatwoot_account_id": 1,
    },
    "crm": {"crm_api_url": "https://crm.example.test", "crm_api_key": "bench-crm-key-0123"},
}


def timed_saves(partners: list, round_number: int) -> list[float]:
    from django.db import transaction

    samples = []
    for i, partner in enumerate(partners):
        partner.name = f"Bench partner {i} r{round_number}"
        started = time.perf_counter()
        with transaction.atomic():
            partner.save()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return (
        f"mean {statistics.fmean(ordered):.3f} ms, p50 {statistics.median(ordered):.3f} ms, "
        f"p99 {p99:.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with private_redis("kgc-bench-outbox-") as redis:
        from bench.bench_database import setup_django

        setup_django()
        run(args, redis.url)


def run(args: argparse.Namespace, redis_url: str) -> None:
    import logging

    logging.getLogger("plugin_manager").setLevel(logging.WARNING)
    from apps.plugin_manager import runtime
    from apps.plugin_manager.eventbus.models import Delivery, Event, WebhookSubscription
    from apps.plugin_manager.models import PluginState
    from apps.plugin_manager.services import set_enabled, update_settings
    from bench.bench_database import ensure_partners
    from kgc_erp.partners.models import Partner
    from kgc_erp.tenants.models import Tenant

    # Before the benchmark's own partners exist (they are deleted at the end): the machine
    # reference's bare query needs partners of its own.
    ensure_partners(200)
    installed = {p.plugin_id for p in runtime.installed_plugins()}
    if not {"support", "crm"} <= installed:
        raise SystemExit("the support and crm plugins must be installed for this benchmark")
    tenant, _ = Tenant.objects.get_or_create(
        slug="bench-outbox", defaults={"name": "Bench outbox"}
    )
    WebhookSubscription.objects.filter(tenant=tenant).delete()
    Partner.objects.filter(tenant=tenant).delete()
    partners = list(
        Partner.objects.bulk_create(
            Partner(tenant=tenant, name=f"Bench partner {i}", phone=f"+3630{2000000 + i:07d}")
            for i in range(args.saves)
        )
    )
    saved_states = {
        p: PluginState.objects.filter(plugin_id=p, tenant=tenant).values_list(
            "enabled", flat=True
        ).first()
        for p in PLUGIN_SETTINGS
    }
    hooks = []
    for name in ("Support push", "CRM push"):
        hook = WebhookSubscription(
            tenant=tenant, name=name, target_url="https://hooks.example.test/kgc",
            event_types=["partner.updated"], is_active=False,
        )
        hook.set_new_secret()
        hook.save()
        hooks.append(hook)

    def set_state(state: str) -> None:
        for plugin_id, values in PLUGIN_SETTINGS.items():
            if state == "two plugins":
                update_settings(plugin_id, tenant, values)
            set_enabled(plugin_id, tenant, state == "two plugins")
        WebhookSubscription.objects.filter(pk__in=[h.pk for h in hooks]).update(
            is_active=state == "two webhooks"
        )
        runtime.subscribers_for_event("partner.updated", tenant.pk)  # warm the snapshot

    states = ("none", "two plugins", "two webhooks")
    samples: dict[str, list[float]] = {s: [] for s in states}
    expected_deliveries = {"none": 0, "two plugins": 2, "two webhooks": 2}
    from urllib.parse import urlsplit

    from apps.plugin_manager.eventbus.dispatch import background

    print(machine_reference().line("before"))
    redis_pid = listening_pid(int(urlsplit(redis_url).port or 6379))
    database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    meter = CpuMeter({
        "this process": [os.getpid()],
        "postgres": lambda: postgres_backends(database),
        "redis": [redis_pid] if redis_pid else [],
    })
    cpu: dict[str, dict[str, float]] = {s: {} for s in states}
    try:
        for round_number in range(args.rounds):
            for state in states:
                set_state(state)
                before = Delivery.objects.filter(tenant=tenant).count()
                cpu_before = meter.read()
                samples[state] += timed_saves(partners, round_number)
                background.flush(timeout=30)  # the publishes after COMMIT count too
                for role, ms in per_operation_ms(
                    CpuMeter.spent(cpu_before, meter.read()), len(partners)
                ).items():
                    cpu[state][role] = cpu[state].get(role, 0.0) + ms / args.rounds
                written = Delivery.objects.filter(tenant=tenant).count() - before
                assert written == expected_deliveries[state] * len(partners), (state, written)
    finally:
        for plugin_id, enabled in saved_states.items():
            set_enabled(plugin_id, tenant, enabled)
        Delivery.objects.filter(tenant=tenant).delete()
        Event.objects.filter(tenant=tenant).delete()
        WebhookSubscription.objects.filter(tenant=tenant).delete()
        Partner.objects.filter(tenant=tenant).delete()
    print(machine_reference().line("after"))
    base = statistics.fmean(samples["none"])
    base_p50 = statistics.median(samples["none"])
    for state in states:
        ratio = statistics.fmean(samples[state]) / base
        ratio_p50 = statistics.median(samples[state]) / base_p50
        print(
            f"{state:>12}: {summary(samples[state])}  -> {ratio:.2f}x mean, "
            f"{ratio_p50:.2f}x p50 ({len(samples[state])} saves)"
        )
        print(f"{'':>12}  CPU per save {cpu_line(cpu[state])} -> "
              f"{sum(cpu[state].values()) / sum(cpu['none'].values()):.2f}x none's "
              f"(target for two subscribers <= 1.10x)")


if __name__ == "__main__":
    main()
