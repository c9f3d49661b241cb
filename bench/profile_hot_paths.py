"""CPU profiles of the hot paths, in-process (cProfile with a CPU clock), written as
text to docs/profiles/.

    .venv/bin/python -m bench.profile_hot_paths bot-api|delivery|inbox [--requests 2000]

bot-api: requests through Django's WSGI handler (all middleware, the response's close
hooks) on the bot API benchmark's database: the by-phone and the worklog status endpoints
and, for comparison, their minimal views (bench/bot_api_urls.py). Each profile lists the
functions by cumulative and by own time; the header gives the CPU per request measured
without the profiler, the machine reference and the load average.

delivery: run_delivery called in this process (no Celery: the task's own overhead is in
the benchmark's figures, not here) for outbound webhook deliveries to the no-op target,
against the plain loop (the same kind of POST and one UPDATE).

inbox: signed Chatwoot webhooks through Django's WSGI handler to the inbox (checks, the
group-commit store in autocommit as under gunicorn, the hand-off to the background
publisher), against the durable baseline view of bench/inbox_urls.py (one INSERT of the raw
body). cProfile sees the request thread only; the CPU per call without the profiler is the
whole process's (the publisher thread's Celery message building included), measured after
the publisher has drained.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from bench.measure import machine_reference, wsgi_request
from bench.private_redis import private_redis

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "profiles"


def cpu_ms_per_call(call: Callable[[int], object], count: int) -> float:
    started = time.process_time()
    for index in range(count):
        call(index)
    return (time.process_time() - started) * 1000 / count


def write_profile(name: str, call: Callable[[int], object], count: int, header: str) -> None:
    for index in range(50):  # warm caches, connections and lazy imports, untimed
        call(index)
    unprofiled = cpu_ms_per_call(call, count)
    profiler = cProfile.Profile(time.process_time)  # CPU, not wall time (waits on the database)
    profiler.enable()
    for index in range(count):
        call(index)
    profiler.disable()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs()
    text.write(f"{name}: {count} calls, CPU per call without the profiler "
               f"{unprofiled:.3f} ms\n{header}\n\n== by cumulative time ==\n")
    stats.sort_stats("cumulative").print_stats(45)
    text.write("\n== by own time ==\n")
    stats.sort_stats("tottime").print_stats(30)
    OUT.mkdir(parents=True, exist_ok=True)
    body = text.getvalue()
    # The repository must not hold machine paths: keep file names relative.
    for prefix in (str(REPO) + "/", sys.prefix + "/", os.path.dirname(os.__file__) + "/"):
        body = body.replace(prefix, "")
    (OUT / f"{name}.txt").write_text(body)
    print(f"{name}: {unprofiled:.3f} ms CPU per call -> docs/profiles/{name}.txt", flush=True)


def bot_api(args: argparse.Namespace) -> None:
    with private_redis("kgc-profile-bot-api-"):  # broker, cache and the rate limit
        _bot_api(args)


def _bot_api(args: argparse.Namespace) -> None:
    from bench.bot_api_latency import prepare_api_key, seed, use_bench_database

    use_bench_database()
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.bot_api_settings"
    from bench.bench_database import setup_django

    setup_django("bench.bot_api_settings")
    seed(args.partners, args.partners * 5)
    import bench.bot_api_urls
    from kgc_erp.partners.models import Partner
    from kgc_erp.service.models import Worklog
    from kgc_erp.tenants.models import Tenant
    from kgc_erp.wsgi import application

    hq = Tenant.headquarters()
    bench.bot_api_urls.TENANT_ID = hq.pk
    raw_key = prepare_api_key()
    phones = list(Partner.objects.filter(tenant=hq, is_active=True)
                  .values_list("phone", flat=True).order_by("?")[:2000])
    numbers = list(Worklog.objects.filter(tenant=hq).values_list("number", flat=True)
                   .order_by("?")[:2000])
    random.Random(7).shuffle(phones)
    headers = {"Authorization": f"Bearer {raw_key}"}

    def national(e164: str) -> str:
        return quote(f"06 {e164[3:5]} {e164[5:8]} {e164[8:]}")

    def get(path: str) -> None:
        status = wsgi_request(application, "GET", path, headers)
        assert status == 200, (path, status)

    reference = machine_reference().line()
    calls = {
        "bot_api_by_phone": lambda i: get(
            f"/api/v1/customers/by-phone/{national(phones[i % len(phones)])}"),
        "bot_api_by_phone_minimal_view": lambda i: get(
            f"/bench/minimal/by-phone/{national(phones[i % len(phones)])}"),
        "bot_api_worklog_status": lambda i: get(
            f"/api/v1/service/worklogs/{numbers[i % len(numbers)]}/status"),
        "bot_api_worklog_minimal_view": lambda i: get(
            f"/bench/minimal/worklog/{numbers[i % len(numbers)]}"),
    }
    for name, call in calls.items():
        if args.only and args.only not in name:
            continue
        write_profile(name, call, args.requests, reference)


def delivery(args: argparse.Namespace) -> None:
    """run_delivery in this process (no Celery), outbound webhooks to the no-op target,
    against the plain loop of bench/delivery_throughput.py (same POST, one UPDATE)."""
    with private_redis("kgc-profile-delivery-"):
        from bench.bench_database import ensure_partners, setup_django

        setup_django()
        ensure_partners(200)
        import urllib3
        from django.db import connection

        from apps.plugin_manager.eventbus.models import Delivery
        from apps.plugin_manager.eventbus.outbox.delivery import run_delivery
        from bench.delivery_throughput import _clean_up, _queue_deliveries, start_target

        target, target_url = start_target()
        subscription, deliveries = _queue_deliveries(2 * args.requests + 100, target_url,
                                                     single=False)
        try:
            ids = list(deliveries.order_by("id").values_list("id", flat=True))
            reference = machine_reference().line()
            pool = urllib3.PoolManager(num_pools=2, maxsize=2, retries=False)
            body = b'{"id":"x","type":"partner.updated","data":{}}' * 8
            table = Delivery._meta.db_table

            def plain(index: int) -> None:
                pool.request("POST", target_url, body=body,
                             headers={"Content-Type": "application/json"}, redirect=False)
                with connection.cursor() as cursor:
                    cursor.execute(f"UPDATE {table} SET finished_at = now() WHERE id = %s",
                                   [ids[index]])

            offset = {"next": 0}

            def deliver(_index: int) -> None:
                delivery_id = ids[offset["next"]]
                offset["next"] += 1
                assert run_delivery(delivery_id).value == "succeeded"

            write_profile("delivery_run_delivery", deliver, args.requests, reference)
            write_profile("delivery_plain_loop", plain, args.requests, reference)
        finally:
            target.terminate()
            target.wait(timeout=10)
            _clean_up(subscription, deliveries)


def inbox(args: argparse.Namespace) -> None:
    with private_redis("kgc-profile-inbox-"):  # broker and cache
        _inbox(args)


def _inbox(args: argparse.Namespace) -> None:
    import uuid

    from bench.bench_database import setup_django

    setup_django("bench.inbox_settings")
    from apps.plugin_manager import services
    from apps.plugin_manager.eventbus.dispatch import background
    from apps.plugin_manager.eventbus.models import InboundDelivery
    from apps.support_plugin.chatwoot.webhooks import SIGNATURE
    from bench.inbox_ack import SECRET, TENANT_SLUG, create_raw_table, drop_raw_table
    from kgc_erp.tenants.models import Tenant
    from kgc_erp.wsgi import application
    from tests.plugin_manager.eventbus.contracts import chatwoot_webhook

    tenant, _ = Tenant.objects.get_or_create(slug=TENANT_SLUG, defaults={"name": "Bench inbox"})
    services.update_settings("gamma", None, {"target_url": "https://unused.example.test",
                                             "chatwoot_secret": SECRET,
                                             "chatwoot_account_id": 3})
    services.set_enabled("gamma", None, True)
    InboundDelivery.objects.filter(tenant=tenant).delete()
    create_raw_table()
    body = chatwoot_webhook("message_created")
    stamp = int(time.time())
    signature = SIGNATURE.sign(SECRET, stamp, body)
    reference = machine_reference().line()

    def post(path: str) -> None:
        headers = {"Content-Type": "application/json", "X-Chatwoot-Delivery": str(uuid.uuid4()),
                   "X-Chatwoot-Timestamp": str(stamp), "X-Chatwoot-Signature": signature}
        status = wsgi_request(application, "POST", path, headers, body)
        assert status == 200, (path, status)

    def inbox_call(_index: int) -> None:
        post(f"/webhooks/gamma-chatwoot/{TENANT_SLUG}/")

    def drained(call: Callable[[int], object]) -> Callable[[int], object]:
        # The last call waits for the publisher, so its CPU is inside the measurement.
        def run(index: int) -> None:
            call(index)
            if index == args.requests - 1:
                background.flush()
        return run

    try:
        write_profile("inbox_acknowledgement", drained(inbox_call), args.requests, reference)
        write_profile("inbox_raw_insert_baseline", lambda i: post("/bench/raw/"),
                      args.requests, reference)
    finally:
        InboundDelivery.objects.filter(tenant=tenant).delete()
        services.set_enabled("gamma", None, None)
        drop_raw_table()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", choices=("bot-api", "delivery", "inbox"))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    {"bot-api": bot_api, "delivery": delivery, "inbox": inbox}[args.path](args)


if __name__ == "__main__":
    main()
