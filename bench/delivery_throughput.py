"""Event bus: deliveries per second through a real Celery worker to a local no-op target.

    .venv/bin/python -m bench.delivery_throughput [--deliveries 3000] [--concurrency 8]
                      [--pool threads|prefork] [--messages batched|single] [--runs 1]

Each delivery is the full production path for an outbound webhook subscription: claim
(`SELECT ... FOR UPDATE SKIP LOCKED` + lease), re-read of the partner, JSON body, HMAC
signature, HTTP POST over a keep-alive connection, outcome + attempt row in one statement.
The deliveries are queued first (one partner update each, distinct partners, so nothing
waits for ordering) and their broker messages taken aside; a worker is started and, once
it answers a ping, the CPU counters are read and the messages put back, so every delivery
the worker makes falls inside the measurement (a worker started on a full queue had done
a third of them before it answered the ping, and their CPU went uncounted). The rate is
measured between the first and the last `finished_at` in the database. The target counts
what it received, which must be exactly the number of deliveries. It also sums the CPU
time of every process involved (worker, PostgreSQL backends, Redis, target) per delivery,
which tells what two idle cores could do when the machine is shared. Broker and cache
are a private redis-server; the database is the benchmark database
(bench/bench_database.py).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from bench.measure import CpuMeter, machine_reference, per_operation_ms
from bench.private_redis import private_redis


def start_target() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.noop_target"], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[1])
    return process, f"http://127.0.0.1:{port}/hook"


def _redis_pid(port: int) -> int:
    for conn in psutil.net_connections("tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
            return int(conn.pid)
    raise RuntimeError(f"no process listens on {port}")


def stop_target(process: subprocess.Popen[str]) -> int:
    process.terminate()
    out, _ = process.communicate(timeout=10)
    return int(out.split()[-1])


def _processes(worker_pid: int, others: list[int]) -> list[psutil.Process]:
    """Every process doing delivery work: the worker tree, Redis, the target, and the
    PostgreSQL backends serving the benchmark database."""
    found = [psutil.Process(worker_pid), *psutil.Process(worker_pid).children(recursive=True)]
    found += [psutil.Process(pid) for pid in others]
    database = urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")
    server = _postmaster_pid()
    for pid in psutil.pids():
        try:
            proc = psutil.Process(pid)
            cmdline = " ".join(proc.cmdline())
            parent = proc.ppid()
        except (psutil.Error, OSError):  # gone meanwhile
            continue
        # Only our server's backends: other benchmarks on the machine run PostgreSQL
        # servers of their own with a database of the same name (kgc_bench), and their
        # backends were charged to this benchmark before.
        if (parent == server and cmdline.startswith("postgres:")
                and f" {database} " in cmdline
                and "autovacuum" not in cmdline):  # see measure.postgres_backends
            found.append(proc)
    return found


def _postmaster_pid() -> int:
    """The PostgreSQL server this benchmark's database lives on (its backends' parent)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    return psutil.Process(backend).ppid()


def _role(proc: psutil.Process, target_pid: int) -> str:
    if proc.pid == target_pid:
        return "target"
    name = proc.name()
    if name == "postgres":
        return "postgres"
    return "redis" if "redis" in name else "worker"


def _cpu_seconds(processes: list[psutil.Process]) -> dict[int, float]:
    """CPU seconds used so far by each process (by pid)."""
    seconds = {}
    for proc in processes:
        try:
            times = proc.cpu_times()
        except (psutil.Error, OSError):
            continue
        seconds[proc.pid] = times.user + times.system
    return seconds


def _cpu_by_role(before: dict[int, float], processes: list[psutil.Process],
                 target_pid: int) -> dict[str, float]:
    """CPU seconds used since `before`, summed per role (worker, postgres, redis, target).
    A process started meanwhile (the worker's PostgreSQL backends, which connect at its
    first task) counts from zero: its start-up is part of the work."""
    after = _cpu_seconds(processes)
    spent: dict[str, float] = {}
    for proc in processes:
        if proc.pid not in after:
            continue
        try:
            role = _role(proc, target_pid)
        except (psutil.Error, OSError):
            continue
        spent[role] = spent.get(role, 0.0) + after[proc.pid] - before.get(proc.pid, 0.0)
    return spent


def _queue_deliveries(count: int, target_url: str, single: bool) -> tuple[object, object]:
    """One partner update per delivery (distinct partners: no ordering waits), committed
    while no worker runs, so every message waits in the broker.

    Committed in one transaction, the ids leave through the background publisher in
    messages of up to 100 (what a burst of saves produces); with `single`, the queue is
    replaced by one message per delivery instead (the worst case: sparse saves)."""
    from django.db import transaction

    from apps.plugin_manager.eventbus.dispatch import background, enqueue_deliveries
    from apps.plugin_manager.eventbus.models import Delivery, WebhookSubscription
    from kgc_erp.partners.models import Partner
    from kgc_erp.tenants.models import Tenant

    tenant, _ = Tenant.objects.get_or_create(
        slug="bench-eventbus", defaults={"name": "Bench eseménybusz"}
    )
    for stale in WebhookSubscription.objects.filter(tenant=tenant):  # an interrupted run's
        _clean_up(stale, Delivery.objects.filter(subscriber=stale.subscriber_key))
    subscription = WebhookSubscription(
        tenant=tenant, name="bench no-op", target_url=target_url, event_types=["partner.updated"]
    )
    subscription.set_new_secret()
    subscription.save()
    Partner.objects.filter(tenant=tenant).delete()
    partners = Partner.objects.bulk_create(
        Partner(tenant=tenant, name=f"Bench partner {i}", email=f"bench{i}@example.hu")
        for i in range(count)
    )
    with transaction.atomic():
        for partner in partners:
            partner.name += " (módosítva)"
            partner.save()
    deliveries = Delivery.objects.filter(subscriber=subscription.subscriber_key)
    assert deliveries.count() == count
    assert background.flush(timeout=60)
    if single:
        import redis

        redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).delete("celery")
        enqueue_deliveries(list(deliveries.order_by("id").values_list("id", flat=True)))
    return subscription, deliveries


def _take_messages_aside(redis_url: str) -> dict[bytes, list[bytes]]:
    """Remove every queued Celery message from the broker (each queue key with its list),
    to be put back by `_put_messages_back` once the worker is ready and measured."""
    import redis

    client = redis.Redis.from_url(redis_url)
    held = {}
    for key in client.keys("celery*"):
        if client.type(key) == b"list":
            held[key] = client.lrange(key, 0, -1)
            client.delete(key)
    assert held, "no message was queued"
    return held


def _put_messages_back(redis_url: str, held: dict[bytes, list[bytes]]) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    for key, messages in held.items():
        client.rpush(key, *messages)  # LRANGE order, so the list is as it was


def _clean_up(subscription, deliveries) -> None:
    from apps.plugin_manager.eventbus.models import Event
    from kgc_erp.partners.models import Partner

    event_ids = list(deliveries.values_list("event_id", flat=True))
    deliveries.delete()
    Event.objects.filter(pk__in=event_ids).delete()
    Partner.objects.filter(tenant=subscription.tenant).delete()
    subscription.delete()


BASELINE_TABLE = "bench_delivery_baseline"


def plain_loop(count: int, body: bytes, target_url: str, target_pid: int) -> dict[str, float]:
    """The same-run baseline: the same HTTP POST (the same body, keep-alive urllib3 pool,
    same target) and one UPDATE of a row by primary key (autocommit), in a plain loop in
    this process: what a delivery costs without the worker, the claim, the re-read, the
    signature, the attempt row and the task machinery. CPU per delivery of this process,
    its PostgreSQL backend and the target.

    The UPDATE goes to a table of its own, freshly filled and vacuumed: updating the
    delivery rows the worker has just finished would make the loop prune the worker's
    dead row versions, and charge it for them."""
    import urllib3
    from django.db import connection

    pool = urllib3.PoolManager(num_pools=2, maxsize=2, retries=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = int(cursor.fetchone()[0])
    # Only the loop's own backend: a query the stopped worker left running (its backend
    # finishes it before noticing the client is gone) must not be charged to the loop.
    meter = CpuMeter({"loop": [os.getpid()], "postgres": [backend], "target": [target_pid]})
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
        cursor.execute(f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, "
                       "finished_at timestamptz)")
        cursor.execute(f"INSERT INTO {BASELINE_TABLE} (finished_at) "
                       "SELECT NULL FROM generate_series(1, %s)", [count])
        cursor.execute(f"VACUUM ANALYZE {BASELINE_TABLE}")
    try:
        before = meter.read()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for row_id in range(1, count + 1):
                response = pool.request("POST", target_url, body=body,
                                        headers={"Content-Type": "application/json"},
                                        redirect=False)
                cursor.execute(f"UPDATE {BASELINE_TABLE} SET finished_at = now() "
                               "WHERE id = %s", [row_id])
                assert response.status < 300
        wall = time.perf_counter() - started
        spent = CpuMeter.spent(before, meter.read())
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {BASELINE_TABLE}")
    cpu = per_operation_ms(spent, count)
    return {"rate": count / wall, "cpu_ms_per_delivery": sum(cpu.values()),
            "cpu_by_role": cpu}


def _body_of_first(deliveries) -> bytes:
    """The JSON body the worker sent for the first delivery (same size and shape)."""
    from apps.plugin_manager.eventbus.models import Delivery, Event
    from apps.plugin_manager.eventbus.outbox.outbound_webhooks import build_body

    first = Delivery.objects.order_by("id").filter(pk__in=deliveries.values("pk")).first()
    assert first is not None
    return build_body(Event.objects.get(pk=first.event_id), "bench-eventbus")


def _database() -> str:
    return urlsplit(os.environ["DATABASE_URL"]).path.lstrip("/")


def run_once(args: argparse.Namespace, workdir: Path, redis_url: str) -> dict[str, object]:
    from apps.plugin_manager.eventbus.models import Delivery, DeliveryAttempt
    from tests.infrastructure.processes import CeleryWorker

    target, target_url = start_target()
    subscription = deliveries = None
    try:
        subscription, deliveries = _queue_deliveries(
            args.deliveries, target_url, args.messages == "single"
        )
        held = _take_messages_aside(redis_url)
        env = {
            "DJANGO_SETTINGS_MODULE": "kgc_erp.settings",
            "DATABASE_URL": os.environ["DATABASE_URL"],
            "CELERY_BROKER_URL": redis_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
        }
        worker = CeleryWorker(
            env, workdir, concurrency=args.concurrency, pool=args.pool, loglevel="warning"
        ).start()
        try:
            assert worker.process is not None
            redis_port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
            others = [target.pid, _redis_pid(redis_port)]
            cpu_before = _cpu_seconds(_processes(worker.process.pid, others))
            started = time.monotonic()
            _put_messages_back(redis_url, held)
            deadline = started + args.timeout
            while deliveries.filter(status=Delivery.Status.PENDING).exists():
                if time.monotonic() > deadline:
                    raise SystemExit(f"timeout; worker log:\n{worker.log_tail()}")
                time.sleep(0.2)
            wall = time.monotonic() - started
            cpu_spent = _cpu_by_role(
                cpu_before, _processes(worker.process.pid, others), target.pid
            )
        finally:
            worker.stop()
        finished = sorted(deliveries.values_list("finished_at", flat=True))
        durations = sorted(
            DeliveryAttempt.objects.filter(delivery__in=deliveries).values_list(
                "duration_ms", flat=True
            )
        )
        baseline = plain_loop(args.deliveries, _body_of_first(deliveries), target_url,
                              target.pid)
        received = stop_target(target) - args.deliveries  # the plain loop's were extra
        cpu_ms = {role: seconds * 1000 / args.deliveries for role, seconds in cpu_spent.items()}
        return {
            "succeeded": deliveries.filter(status=Delivery.Status.SUCCEEDED).count(),
            "received_by_target": received,
            "rate_first_to_last": (args.deliveries - 1)
            / (finished[-1] - finished[0]).total_seconds(),
            "rate_including_startup": args.deliveries / wall,
            "call_ms_p50": statistics.median(durations),
            "call_ms_p99": durations[int(len(durations) * 0.99) - 1],
            "cpu_ms_per_delivery": sum(cpu_ms.values()),
            "cpu_by_role": cpu_ms,
            "baseline": baseline,
        }
    finally:
        if target.poll() is None:
            target.kill()
            target.wait(timeout=10)
        if subscription is not None:
            _clean_up(subscription, deliveries)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--pool", default="threads", choices=("prefork", "threads"))
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--messages", default="batched", choices=("batched", "single"))
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    with private_redis("kgc-bench-eventbus-") as (workdir, redis_url):
        from bench.bench_database import setup_django

        setup_django()
        import logging

        logging.getLogger("kgc.eventbus").setLevel(logging.WARNING)
        from bench.bench_database import ensure_partners

        ensure_partners(200)  # the machine reference's bare query needs a few
        print(machine_reference().line("before"))
        ratios = []
        for run in range(1, args.runs + 1):
            result = run_once(args, workdir, redis_url)
            print(
                f"run {run}: {args.pool} -c {args.concurrency}, {args.messages} messages: "
                f"{result['rate_first_to_last']:.0f} deliveries/s "
                f"(first to last finish; {result['rate_including_startup']:.0f}/s from the "
                f"messages' release), call p50 {result['call_ms_p50']:.0f} ms "
                f"p99 {result['call_ms_p99']:.0f} ms; succeeded {result['succeeded']}/"
                f"{args.deliveries}, target received {result['received_by_target']}"
            )
            cpu = result["cpu_ms_per_delivery"]
            print(
                f"       CPU per delivery, all processes involved (worker, PostgreSQL "
                f"backends, Redis, target): {cpu:.2f} ms -> {2000 / cpu:.0f} deliveries/s "
                f"on 2 otherwise idle cores"
            )
            roles = ", ".join(f"{k} {v:.2f}" for k, v in sorted(result["cpu_by_role"].items()))
            print(f"       CPU ms per delivery by role: {roles}")
            base = result["baseline"]
            ratios.append(cpu / base["cpu_ms_per_delivery"])
            base_roles = ", ".join(f"{k} {v:.2f}" for k, v in sorted(base["cpu_by_role"].items()))
            print(
                f"       same-run baseline (plain loop: same POST + one UPDATE): "
                f"{base['rate']:.0f} deliveries/s, CPU per delivery "
                f"{base['cpu_ms_per_delivery']:.2f} ms ({base_roles})"
            )
            print(f"       ratio CPU per delivery, worker path / plain loop: {ratios[-1]:.2f}x "
                  f"(target <= 2x)")
        if len(ratios) > 1:
            print(f"median ratio over {len(ratios)} runs: {statistics.median(ratios):.2f}x")
        print(machine_reference().line("after"))


if __name__ == "__main__":
    main()
