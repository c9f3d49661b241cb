"""Bot API latency and CPU under load, against a minimal Django view in the same server.

Seeds its own database (`kgc_bench_bot_api`, default 20 000 partners and 100 000 rentals,
with the worklogs and orders the demo generator makes for them), starts gunicorn on a free
localhost port with the benchmark's settings (bench/bot_api_settings.py: the project plus
the minimal views of bench/bot_api_urls.py), and drives each endpoint open-loop at a fixed
rate (default 100 requests/s) from a bounded pool of client threads, in rounds that
alternate the API and its minimal view (the same indexed query in a plain Django view: no
DRF, key check, plugin switch, rate limit or audit row). Broker and cache: a private
redis-server.

    .venv/bin/python -m bench.bot_api_latency [--partners 20000] [--rentals 100000]
        [--rate 100] [--duration 20] [--rounds 4] [--workers 4] [--json out.json]

Printed per endpoint, with the targets of the hot-path issue beside them: gunicorn CPU per
request API / minimal view (<= 2x), p50 API / bare indexed query p50 (<= 5x), p99 API /
minimal view p99 (<= 3x); CPU per request per process (gunicorn workers, PostgreSQL
backends, Redis, client) from /proc; the machine reference (bench/measure.py) and the load
average before and after. Latency is measured by the client from sending the request to
receiving the whole response; the client shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import requests

from bench.measure import (
    CpuMeter,
    children_of,
    cpu_line,
    latency_summary,
    listening_pid,
    machine_reference,
    per_operation_ms,
    percentile,
    postgres_backends,
)
from bench.private_redis import private_redis

REPO = Path(__file__).resolve().parent.parent
DATABASE = "kgc_bench_bot_api"


@dataclass
class Sample:
    latency_ms: float
    lag_ms: float  # how late the request left compared with its schedule
    status: int


def use_bench_database() -> None:
    """Point DATABASE_URL at our own database on the same server (created if missing)."""
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{DATABASE}"))
        _create_database_if_missing()
        return
    from devstack.postgres import start_embedded_postgres

    pgdata = Path(os.environ.get("EMBEDDED_PGDATA", REPO / "var" / "pgdata")).resolve()
    os.environ["DATABASE_URL"] = start_embedded_postgres(pgdata, DATABASE)


def _create_database_if_missing() -> None:
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    host = parse_qs(parts.query).get("host", [parts.hostname or ""])[0]
    with psycopg.connect(host=host, port=parts.port or 5432, user=parts.username or "postgres",
                         password=parts.password, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def seed(partners: int, rentals: int) -> None:
    from kgc_erp.demo.generator import seed as seed_demo
    from kgc_erp.partners.models import Partner
    from kgc_erp.rentals.models import Rental

    have = Partner.objects.count()
    if have < partners:
        print(f"seeding {partners - have} partners with {rentals / partners:.1f} rentals each ...",
              flush=True)
        started = time.perf_counter()
        seed_demo(partners - have, rentals_per_partner=rentals / partners)
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"database: {Partner.objects.count()} partners, {Rental.objects.count()} rentals",
          flush=True)


def prepare_api_key() -> str:
    """Support plugin on, and a read key of the headquarters without a practical rate limit."""
    from apps.plugin_manager.models import PluginState
    from apps.support_plugin.bot_api.keys import issue_api_key
    from apps.support_plugin.bot_api.scopes import Scope
    from kgc_erp.tenants.models import Tenant

    PluginState.objects.update_or_create(plugin_id="support", tenant=None,
                                         defaults={"enabled": True})
    issued = issue_api_key(tenant=Tenant.headquarters(), name="latency benchmark",
                           scopes=(Scope.READ,), rate_limit_per_minute=10_000_000)
    return issued.raw_key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: SIGTERM the server if this script dies without reaching its cleanup."""
    import ctypes
    import signal

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def start_gunicorn(port: int, workers: int, tenant_id: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.bot_api_settings", "DEBUG": "False",
           "LOG_LEVEL": "WARNING", "BENCH_BOT_API_TENANT_ID": str(tenant_id)}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "kgc_erp.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning"],
        cwd=REPO, env=env, preexec_fn=_die_with_parent,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            # The API's JSON 404: answered without touching the database.
            requests.get(f"http://127.0.0.1:{port}/api/v1/", timeout=5)
            return process
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("gunicorn did not start")


def drive(port: int, path_for: Callable[[int], str], headers: dict[str, str], rate: float,
          duration: float, threads: int) -> list[Sample]:
    """Open-loop load: request i leaves at start + i / rate, whatever earlier answers did.

    Plain http.client (a new connection per request, as gunicorn's sync workers close
    them anyway) keeps the client's own CPU use, on the same two cores, small.
    """
    total = int(rate * duration)
    work: queue.Queue[int] = queue.Queue()
    for index in range(total):
        work.put(index)
    samples: list[Sample] = []
    lock = threading.Lock()
    start = time.perf_counter() + 0.5

    def client() -> None:
        while True:
            try:
                index = work.get_nowait()
            except queue.Empty:
                return
            scheduled = start + index / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                connection.request("GET", path_for(index), headers=headers)
                response = connection.getresponse()
                response.read()
            finally:
                connection.close()
            done = time.perf_counter()
            with lock:
                samples.append(Sample((done - sent) * 1000, (sent - scheduled) * 1000,
                                      response.status))

    pool = [threading.Thread(target=client) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return samples


def bare_sql_ms(statement_for: Callable[[int], tuple[str, Sequence[Any]]],
                runs: int) -> list[float]:
    """The endpoint's own lookup statement, executed alone on an open connection."""
    from django.db import connection

    timings = []
    for index in range(runs):
        sql, params = statement_for(index)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


@dataclass
class Side:
    """One side of a comparison (the API or the minimal view) over all its rounds."""

    samples: list[Sample] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # role -> CPU seconds
    round_gunicorn_ms: list[float] = field(default_factory=list)  # per request, per round

    @property
    def requests(self) -> int:
        return len(self.samples)

    def latencies(self) -> list[float]:
        return [s.latency_ms for s in self.samples if s.status == 200]


def measure_side(side: Side, meter: CpuMeter, run: Callable[[], list[Sample]]) -> None:
    before = meter.read()
    samples = run()
    spent = CpuMeter.spent(before, meter.read())
    side.samples += samples
    for role, seconds in spent.items():
        side.cpu[role] = side.cpu.get(role, 0.0) + seconds
    side.round_gunicorn_ms.append(spent["gunicorn"] * 1000 / len(samples))


def compare(name: str, api: Side, minimal: Side, sql: list[float]) -> dict[str, float]:
    """Print one endpoint's figures and ratios (targets beside them); return them."""
    for label, side in (("API", api), ("minimal view", minimal)):
        bad = side.requests - len(side.latencies())
        if bad:
            raise SystemExit(f"{name} ({label}): {bad} requests did not answer 200")
    a, m = latency_summary(api.latencies()), latency_summary(minimal.latencies())
    sql_p50 = statistics.median(sql)
    api_cpu = per_operation_ms(api.cpu, api.requests)
    min_cpu = per_operation_ms(minimal.cpu, minimal.requests)
    round_ratios = [x / y for x, y in zip(api.round_gunicorn_ms, minimal.round_gunicorn_ms,
                                          strict=True)]
    figures = {
        "api_p50": a["p50"], "api_p99": a["p99"], "api_max": a["max"],
        "minimal_p50": m["p50"], "minimal_p99": m["p99"], "minimal_max": m["max"],
        "sql_p50": sql_p50, "sql_p99": percentile(sql, 0.99),
        "api_gunicorn_cpu_ms": api_cpu["gunicorn"],
        "minimal_gunicorn_cpu_ms": min_cpu["gunicorn"],
        "cpu_ratio": api_cpu["gunicorn"] / min_cpu["gunicorn"],
        "cpu_ratio_round_median": statistics.median(round_ratios),
        "p50_vs_sql": a["p50"] / sql_p50,
        "minimal_p50_vs_sql": m["p50"] / sql_p50,
        "p99_vs_minimal": a["p99"] / m["p99"],
    }
    print(f"{name}: {api.requests} API requests, {minimal.requests} minimal-view requests "
          f"(rounds interleaved)")
    print(f"  API          p50 {a['p50']:.2f} ms, p90 {a['p90']:.2f}, p99 {a['p99']:.2f}, "
          f"max {a['max']:.1f}; CPU per request {cpu_line(api_cpu)}")
    print(f"  minimal view p50 {m['p50']:.2f} ms, p90 {m['p90']:.2f}, p99 {m['p99']:.2f}, "
          f"max {m['max']:.1f}; CPU per request {cpu_line(min_cpu)}")
    print(f"  bare SQL     p50 {sql_p50:.3f} ms, p99 {figures['sql_p99']:.3f} ms")
    print(f"  ratio gunicorn CPU API / minimal view: {figures['cpu_ratio']:.2f}x "
          f"(median of {len(round_ratios)} round pairs {figures['cpu_ratio_round_median']:.2f}x;"
          f" target <= 2x)")
    print(f"  ratio p50 API / bare SQL: {figures['p50_vs_sql']:.1f}x (target <= 5x; the "
          f"minimal view itself: {figures['minimal_p50_vs_sql']:.1f}x)")
    print(f"  ratio p99 API / minimal view p99: {figures['p99_vs_minimal']:.2f}x "
          f"(target <= 3x)", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--rentals", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds per endpoint and side (split into --rounds rounds)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=16, help="client threads")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    use_bench_database()
    with private_redis("kgc-bench-bot-api-") as redis:
        run(args, redis.url)


def run(args: argparse.Namespace, redis_url: str) -> None:
    from bench.bench_database import setup_django

    setup_django()  # migrates
    seed(args.partners, args.rentals)

    from kgc_erp.partners.models import Partner
    from kgc_erp.service.models import Worklog
    from kgc_erp.tenants.models import Tenant

    raw_key = prepare_api_key()
    hq = Tenant.headquarters()
    rng = random.Random(7)
    phones = list(Partner.objects.filter(tenant=hq, is_active=True)
                  .values_list("phone", flat=True).order_by("?")[:5000])
    numbers = list(Worklog.objects.filter(tenant=hq).values_list("number", flat=True)
                   .order_by("?")[:5000])
    rng.shuffle(phones)

    def national(e164: str) -> str:  # how a customer says it: 06 30 123 4567
        return f"06 {e164[3:5]} {e164[5:8]} {e164[8:]}"

    reference_before = machine_reference()
    print(reference_before.line("before"), flush=True)
    port = free_port()
    server = start_gunicorn(port, args.workers, hq.pk)
    headers = {"Authorization": f"Bearer {raw_key}"}
    endpoints = {
        "GET customers/by-phone/{phone}": (
            lambda i: f"/api/v1/customers/by-phone/{quote(national(phones[i % len(phones)]))}",
            lambda i: f"/bench/minimal/by-phone/{quote(national(phones[i % len(phones)]))}",
        ),
        "GET service/worklogs/{number}/status": (
            lambda i: f"/api/v1/service/worklogs/{numbers[i % len(numbers)]}/status",
            lambda i: f"/bench/minimal/worklog/{numbers[i % len(numbers)]}",
        ),
    }
    redis_pid = listening_pid(int(urlsplit(redis_url).port or 6379))
    sides: dict[str, tuple[Side, Side]] = {}
    try:
        # Warm-up: every worker opens its database and Redis connections, both views.
        for api_path, minimal_path in endpoints.values():
            drive(port, api_path, headers, rate=100, duration=3, threads=8)
            drive(port, minimal_path, headers, rate=100, duration=2, threads=8)
        meter = CpuMeter({
            "gunicorn": children_of(server.pid),
            "postgres": lambda: postgres_backends(DATABASE),
            "redis": [redis_pid] if redis_pid else [],
            "client": [os.getpid()],
        })
        seconds = args.duration / args.rounds
        for name, (api_path, minimal_path) in endpoints.items():
            api, minimal = sides[name] = (Side(), Side())
            for round_number in range(args.rounds):
                # Alternate which side goes first, so a load change hits both alike.
                order = [(api, api_path), (minimal, minimal_path)]
                if round_number % 2:
                    order.reverse()
                for side, path_for in order:
                    measure_side(side, meter, lambda p=path_for: drive(
                        port, p, headers, args.rate, seconds, args.threads))
    finally:
        server.terminate()
        server.wait(timeout=30)

    from apps.support_plugin.bot_api.queries import customer_statement, worklog_statement

    sql = {
        "GET customers/by-phone/{phone}": bare_sql_ms(
            lambda i: customer_statement(hq.pk, phones[i % len(phones)]), 2000),
        "GET service/worklogs/{number}/status": bare_sql_ms(
            lambda i: worklog_statement(hq.pk, numbers[i % len(numbers)]), 2000),
    }
    reference_after = machine_reference()
    print(reference_after.line("after"))
    print(f"{args.rate:.0f} requests/s, {args.rounds} rounds of {seconds:.1f} s per side, "
          f"{args.workers} sync gunicorn workers, {len(phones)} partners' phones")
    results: dict[str, object] = {
        "reference_before": reference_before.__dict__,
        "reference_after": reference_after.__dict__,
    }
    for name, (api, minimal) in sides.items():
        results[name] = compare(name, api, minimal, sql[name])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
