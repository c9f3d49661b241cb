"""Bot API latency under load: customers/by-phone and service/worklogs/{number}/status.

Seeds its own database (`kgc_bench_bot_api`: 100 000 partners, 500 000 rentals, the
worklogs and orders the demo generator makes for them), starts gunicorn on a free
localhost port, drives each endpoint open-loop at a fixed request rate (default 100 req/s
for 20 s) from a bounded pool of client threads, and prints p50 / p90 / p99 / max latency
next to the bare indexed SQL query of the same lookup. Targets: p99 under 25 ms
(by-phone) and under 40 ms (worklog status).

    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python -m bench.bot_api_latency \
        [--partners 100000] [--rentals 500000] [--rate 100] [--duration 20] [--workers 4]

Latency is measured by the client from sending the request to receiving the whole
response, so it includes HTTP, gunicorn, Django, authentication, the plugin switch, the
Redis rate limit, the query and the audit-log insert. The client runs on the same machine
as the server and the database (it shares their CPU cores).
"""

from __future__ import annotations

import argparse
import http.client
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

import requests

REPO = Path(__file__).resolve().parent.parent
DATABASE = "kgc_bench_bot_api"


@dataclass
class Sample:
    latency_ms: float
    lag_ms: float  # how late the request left compared with its schedule
    status: int


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


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


def start_gunicorn(port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kgc_erp.settings", "DEBUG": "False",
           "LOG_LEVEL": "WARNING"}
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


def statement_of(queryset: Any) -> tuple[str, Sequence[Any]]:
    """SQL and parameters of a QuerySet or RawQuerySet."""
    if hasattr(queryset, "raw_query"):
        return queryset.raw_query, queryset.params
    return queryset.query.sql_with_params()


class CpuMeter:
    """CPU seconds used by the server's workers, PostgreSQL, Redis and this client, so the
    per-request cost of each can be printed next to the latencies."""

    def __init__(self, server_pid: int) -> None:
        import psutil

        self.groups = {
            "gunicorn": psutil.Process(server_pid).children(),
            # The backends serving this database (their process title names it).
            "postgres": [p for p in psutil.process_iter(["cmdline"])
                         if DATABASE in " ".join(p.info["cmdline"] or [])],
            "redis": [p for p in psutil.process_iter(["name"])
                      if (p.info["name"] or "").startswith("redis-server")],
            "client": [psutil.Process()],
        }

    def read(self) -> dict[str, float]:
        import psutil

        totals = {}
        for name, processes in self.groups.items():
            total = 0.0
            for process in processes:
                try:
                    times = process.cpu_times()
                except psutil.Error:
                    continue
                total += times.user + times.system
            totals[name] = total
        return totals


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests_: int) -> str:
    return ", ".join(
        f"{name} {(after[name] - before[name]) / requests_ * 1000:.2f} ms" for name in before
    )


def bare_sql_ms(queryset_for: Callable[[int], Any], runs: int) -> list[float]:
    """The endpoint's own lookup statement, executed alone on an open connection."""
    from django.db import connection

    timings = []
    for index in range(runs):
        sql, params = statement_of(queryset_for(index))
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(name: str, samples: list[Sample], sql: list[float], duration: float) -> dict[str, float]:
    ok = [s.latency_ms for s in samples if s.status == 200]
    errors = len(samples) - len(ok)
    figures = {
        "p50": statistics.median(ok),
        "p90": percentile(ok, 0.90),
        "p99": percentile(ok, 0.99),
        "max": max(ok),
        "sql_p50": statistics.median(sql),
        "sql_p99": percentile(sql, 0.99),
        "rate": len(samples) / duration,
        "max_lag": max(s.lag_ms for s in samples),
    }
    print(
        f"{name}: {len(samples)} requests ({errors} non-200), "
        f"p50 {figures['p50']:.2f} ms, p90 {figures['p90']:.2f} ms, "
        f"p99 {figures['p99']:.2f} ms, max {figures['max']:.2f} ms; "
        f"bare SQL p50 {figures['sql_p50']:.3f} ms, p99 {figures['sql_p99']:.3f} ms; "
        f"ratio p50 {figures['p50'] / figures['sql_p50']:.0f}x; "
        f"client lag max {figures['max_lag']:.1f} ms",
        flush=True,
    )
    if errors:
        raise SystemExit(f"{name}: {errors} requests did not answer 200")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--rentals", type=int, default=500_000)
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per endpoint")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=16, help="client threads")
    args = parser.parse_args()

    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    use_bench_database()
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

    port = free_port()
    server = start_gunicorn(port, args.workers)
    headers = {"Authorization": f"Bearer {raw_key}"}

    def by_phone(i: int) -> str:
        return f"/api/v1/customers/by-phone/{quote(national(phones[i % len(phones)]))}"

    def worklog(i: int) -> str:
        return f"/api/v1/service/worklogs/{numbers[i % len(numbers)]}/status"

    external_load = os.getloadavg()[0]
    try:
        # Warm-up: every worker opens its database and Redis connections.
        drive(port, by_phone, headers, rate=50, duration=2, threads=8)
        meter = CpuMeter(server.pid)
        cpu_0 = meter.read()
        phone_samples = drive(port, by_phone, headers, args.rate, args.duration, args.threads)
        cpu_1 = meter.read()
        worklog_samples = drive(port, worklog, headers, args.rate, args.duration, args.threads)
        cpu_2 = meter.read()
    finally:
        server.terminate()
        server.wait(timeout=30)

    from apps.support_plugin.bot_api.queries import customer_lookup, worklog_lookup

    phone_sql = bare_sql_ms(lambda i: customer_lookup(hq.pk, phones[i % len(phones)]), 2000)
    worklog_sql = bare_sql_ms(lambda i: worklog_lookup(hq.pk, numbers[i % len(numbers)]), 2000)

    print(f"load average before / after the run: {external_load:.2f} / "
          f"{os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    report("GET customers/by-phone/{phone}", phone_samples, phone_sql, args.duration)
    print("  CPU per request: " + cpu_per_request(cpu_0, cpu_1, len(phone_samples)))
    report("GET service/worklogs/{number}/status", worklog_samples, worklog_sql, args.duration)
    print("  CPU per request: " + cpu_per_request(cpu_1, cpu_2, len(worklog_samples)))


if __name__ == "__main__":
    main()
