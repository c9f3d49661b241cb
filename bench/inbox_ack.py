"""Event bus: how fast the webhook inbox acknowledges, against the minimum durable work.

    .venv/bin/python -m bench.inbox_ack [--requests 3000] [--connections 8]
                                         [--rate 200] [--seconds 15]

One gunicorn server (2 gthread workers x 4 threads, keep-alive) runs the project with
three comparison views added (bench/inbox_urls.py), all measured in the same server, with
the same clients, in the same run:

- `/bench/raw/`: the fair baseline: one INSERT of the raw body into a plain table and its
  commit, no checks (the least an acknowledgement that promises "stored" can do);
- `/bench/bare/`: a view that only returns 200 (no durable work; kept for reference);
- `/bench/unstored/...`: the inbox's checks without the store.

Every inbox request is a real Chatwoot `message_created` webhook (shared contract payload)
with its own delivery id and a valid HMAC signature, POSTed to the gamma test plugin's
tenant-scoped Chatwoot source: verify, store the raw delivery (deduplicated), hand the
processing task to the broker, answer 200. Signing happens before the clock starts.

1. Throughput: the same number of requests, as fast as `--connections` keep-alive
   clients can send them, to each view, rounds interleaved. Target: inbox >= 0.8x the
   raw-insert baseline.
2. Latency at a fixed rate (open loop: each request is due at its slot, latency is
   measured from the slot, so a stalled server cannot hide its queue), inbox and
   baseline. Target: inbox p99 < 50 ms at 200 requests/s.

A machine reference is printed before and after (a fixed Python loop's time, the p50 of
`SELECT 1` from this process), so figures from a loaded shared machine can be judged.
The baseline's table is created here with raw SQL and dropped at the end: it is not a
product model. Broker and cache: a private redis-server; database: the benchmark database.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from bench.measure import (
    CpuMeter,
    children_of,
    cpu_line,
    listening_pid,
    machine_reference,
    per_operation_ms,
    postgres_backends,
)
from devstack.redis import free_port, start_private_redis

TENANT_SLUG = "bench-inbox"
SECRET = "bench-chatwoot-webhook-secret"


def signed_requests(count: int, path: str) -> list[tuple[str, bytes, dict[str, str]]]:
    from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE
    from tests.plugin_manager.eventbus.contracts import chatwoot_webhook

    body = chatwoot_webhook("message_created")
    timestamp = int(time.time())
    requests = []
    for _ in range(count):
        headers = {
            "Content-Type": "application/json",
            "X-Chatwoot-Delivery": str(uuid.uuid4()),
            "X-Chatwoot-Timestamp": str(timestamp),
            "X-Chatwoot-Signature": CHATWOOT_SIGNATURE.sign(SECRET, timestamp, body),
        }
        requests.append((path, body, headers))
    return requests


def _send(connection: http.client.HTTPConnection, request: tuple) -> int:
    path, body, headers = request
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    return response.status


def closed_loop(port: int, requests: list, connections: int) -> tuple[float, dict[int, int]]:
    """Requests per second with `connections` clients sending back to back."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    chunks = [requests[i::connections] for i in range(connections)]

    def client(chunk: list) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for request in chunk:
            status = _send(connection, request)
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(requests) / (time.perf_counter() - started), statuses


def open_loop(port: int, requests: list, rate: float) -> tuple[list[float], dict[int, int]]:
    """Latency (ms) of each request, measured from its scheduled slot."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    next_index = iter(range(len(requests)))
    started = time.perf_counter() + 0.2

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                break
            due = started + index / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status = _send(connection, requests[index])
            elapsed = (time.perf_counter() - due) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, statuses


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def machine_reference_line(label: str) -> str:
    from bench.bench_database import ensure_partners

    ensure_partners(200)  # the bare indexed partner query needs a few
    return machine_reference().line(label)


def create_raw_table() -> None:
    from django.db import connection

    from bench.inbox_urls import RAW_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {RAW_TABLE} (id bigserial primary key, body bytea, "
            "received_at timestamptz default now())"
        )
        cursor.execute(f"TRUNCATE {RAW_TABLE}")


def drop_raw_table() -> int:
    """Drop the baseline's table; returns how many rows it held."""
    from django.db import connection

    from bench.inbox_urls import RAW_TABLE

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {RAW_TABLE}")
        row = cursor.fetchone()
        cursor.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
    return int(row[0]) if row else 0


def latency_line(label: str, rate: float, seconds: float, latencies: list[float],
                 statuses: dict[int, int]) -> str:
    return (
        f"{label} at {rate:.0f} requests/s for {seconds:.0f} s: "
        f"p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 0.95):.1f} "
        f"ms, p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms; "
        f"statuses {statuses}"
    )


def start_server(port: int, redis_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.inbox_settings",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "kgc_erp.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", "2", "--worker-class", "gthread", "--threads", "4",
         "--keep-alive", "30", "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            if _send(connection, ("/bench/bare/", b"{}", {})) == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="kgc-bench-inbox-"))
    redis_process, redis_url = start_private_redis(workdir / "redis")
    os.environ["REDIS_URL"] = redis_url
    os.environ["CELERY_BROKER_URL"] = redis_url
    server = None
    django_ready = False
    try:
        from bench.bench_database import setup_django

        setup_django("bench.inbox_settings")
        django_ready = True
        from apps.plugin_manager import services
        from apps.plugin_manager.eventbus.models import InboundDelivery
        from kgc_erp.tenants.models import Tenant

        tenant, _ = Tenant.objects.get_or_create(
            slug=TENANT_SLUG, defaults={"name": "Bench inbox"}
        )
        services.update_settings(
            "gamma",
            None,
            {"target_url": "https://unused.example.test", "chatwoot_secret": SECRET,
             "chatwoot_account_id": 3},
        )
        services.set_enabled("gamma", None, True)
        InboundDelivery.objects.filter(tenant=tenant).delete()

        create_raw_table()
        port = free_port()
        server = start_server(port, redis_url)
        inbox_path = f"/webhooks/gamma-chatwoot/{TENANT_SLUG}/"
        print("The machine is shared with other engineers' test suites: figures move with "
              "their load (see the references).")
        print(machine_reference_line("before"))

        # warm every path (connections, snapshots, imports) before measuring
        closed_loop(port, signed_requests(200, inbox_path), args.connections)
        closed_loop(port, signed_requests(200, "/bench/raw/"), args.connections)
        closed_loop(port, signed_requests(200, "/bench/bare/"), args.connections)

        results: dict[str, list[float]] = {}
        cpu: dict[str, dict[str, float]] = {}
        cpu_ratios: list[float] = []
        database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
        redis_pid = listening_pid(int(urlsplit(redis_url).port or 6379))
        meter = CpuMeter({
            "gunicorn": children_of(server.pid),
            "postgres": lambda: postgres_backends(database),
            "redis": [redis_pid] if redis_pid else [],
            "client": [os.getpid()],
        })
        unstored_path = f"/bench/unstored/gamma-chatwoot/{TENANT_SLUG}/"
        rounds = (("bare view", "/bench/bare/"), ("raw insert", "/bench/raw/"),
                  ("unstored", unstored_path), ("inbox", inbox_path))
        for round_number in range(args.rounds):
            round_cpu = {}
            # Alternate the order, so a change of the machine's load hits all views alike.
            for label, path in (rounds if round_number % 2 == 0 else rounds[::-1]):
                requests = signed_requests(args.requests, path)
                before = meter.read()
                rate, statuses = closed_loop(port, requests, args.connections)
                spent = per_operation_ms(CpuMeter.spent(before, meter.read()), len(requests))
                results.setdefault(label, []).append(rate)
                for role, ms in spent.items():
                    cpu.setdefault(label, {}).setdefault(role, 0.0)
                    cpu[label][role] += ms / args.rounds
                round_cpu[label] = spent["gunicorn"]
                print(f"{label:>10}: {rate:.0f} requests/s, CPU per request {cpu_line(spent)},"
                      f" statuses {statuses}")
            cpu_ratios.append(round_cpu["inbox"] / round_cpu["raw insert"])
        for label, per_role in cpu.items():
            print(f"CPU per request, mean of rounds, {label}: {cpu_line(per_role)}")
        print(f"ratio gunicorn CPU per request inbox / raw-insert baseline: median of "
              f"{len(cpu_ratios)} rounds {statistics.median(cpu_ratios):.2f}x (target <= 1.5x);"
              f" all processes {sum(cpu['inbox'].values()) / sum(cpu['raw insert'].values()):.2f}x")
        bare = statistics.fmean(results["bare view"])
        raw = statistics.fmean(results["raw insert"])
        inbox = statistics.fmean(results["inbox"])
        unstored = statistics.fmean(results["unstored"])
        print(f"inbox / raw-insert baseline throughput: {inbox / raw:.2f}x (target >= 0.8x)")
        print(f"  beside it: inbox / bare view {inbox / bare:.0%}, raw insert / bare view "
              f"{raw / bare:.0%}, checks without storing / bare view {unstored / bare:.0%}")

        count = int(args.rate * args.seconds)
        latencies, statuses = open_loop(port, signed_requests(count, inbox_path), args.rate)
        print(latency_line("inbox", args.rate, args.seconds, latencies, statuses)
              + " (target p99 < 50 ms)")
        latencies, statuses = open_loop(port, signed_requests(count, "/bench/raw/"),
                                        args.rate)
        print(latency_line("raw insert", args.rate, args.seconds, latencies, statuses))
        stored = InboundDelivery.objects.filter(tenant=tenant, status="received").count()
        print(f"stored deliveries: {stored}")
        print(machine_reference_line("after"))
        InboundDelivery.objects.filter(tenant=tenant).delete()
        services.set_enabled("gamma", None, None)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        if django_ready:
            print(f"baseline rows stored (table dropped): {drop_raw_table()}")
        redis_process.terminate()
        redis_process.wait(timeout=10)


if __name__ == "__main__":
    main()
