"""Event bus: CPU per outbound webhook delivery in one thread, without Celery.

    .venv/bin/python -m bench.delivery_inprocess [--deliveries 1000] [--single]

Queues deliveries as `bench.delivery_throughput` does, then runs them in this process:
`run_deliveries` in messages of 100 ids (what `eventbus.deliver_many` does), or with
`--single` `run_delivery` per id (what the code before the rounds did for every id).
Prints CPU ms per delivery of this process, its PostgreSQL backend and the no-op target,
then the same figures for that benchmark's plain loop (same POST + one UPDATE), measured
right after in the same process. Leaves the worker's threads and Celery out, so the
delivery code path itself is compared with the loop.
"""

from __future__ import annotations

import argparse
import os
import time

from bench.measure import CpuMeter, machine_reference, per_operation_ms
from bench.private_redis import private_redis

MESSAGE_IDS = 100


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--single", action="store_true")
    args = parser.parse_args()

    with private_redis("kgc-bench-delivery-inprocess-"):
        from bench.bench_database import ensure_partners, setup_django

        setup_django()
        import logging

        logging.getLogger("kgc.eventbus").setLevel(logging.WARNING)
        ensure_partners(200)  # the machine reference's bare query needs a few
        run(args)


def run(args: argparse.Namespace) -> None:
    from django.db import connection

    from apps.plugin_manager.eventbus.outbox import delivery
    from bench.delivery_throughput import (
        _body_of_first,
        _clean_up,
        _queue_deliveries,
        plain_loop,
        start_target,
    )

    print(machine_reference().line("before"))
    target, target_url = start_target()
    subscription, deliveries = _queue_deliveries(args.deliveries, target_url, single=False)
    try:
        ids = list(deliveries.order_by("id").values_list("id", flat=True))
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = int(cursor.fetchone()[0])
        meter = CpuMeter({"this process": [os.getpid()], "postgres": [backend],
                          "target": [target.pid]})
        before = meter.read()
        started = time.perf_counter()
        if args.single:
            for delivery_id in ids:
                assert delivery.run_delivery(delivery_id) == "succeeded"
        else:
            for i in range(0, len(ids), MESSAGE_IDS):
                result = delivery.run_deliveries(ids[i : i + MESSAGE_IDS])
                assert set(result.outcomes.values()) == {"succeeded"}, result.outcomes
        wall = time.perf_counter() - started
        cpu = per_operation_ms(CpuMeter.spent(before, meter.read()), len(ids))
        loop = plain_loop(len(ids), _body_of_first(deliveries), target_url, target.pid)
    finally:
        target.terminate()
        target.wait(timeout=10)
        _clean_up(subscription, deliveries)
    mode = "run_delivery per id" if args.single else f"run_deliveries, {MESSAGE_IDS} per message"
    total = sum(cpu.values())
    roles = ", ".join(f"{k} {v:.2f}" for k, v in cpu.items())
    print(f"{mode}: {len(ids) / wall:.0f} deliveries/s, CPU ms per delivery {total:.2f} "
          f"({roles})")
    base_roles = ", ".join(f"{k} {v:.2f}" for k, v in loop["cpu_by_role"].items())
    print(f"plain loop (same POST + one UPDATE): CPU ms per delivery "
          f"{loop['cpu_ms_per_delivery']:.2f} ({base_roles})")
    print(f"ratio: {total / loop['cpu_ms_per_delivery']:.2f}x (target <= 2x)")
    print(machine_reference().line("after"))


if __name__ == "__main__":
    main()
