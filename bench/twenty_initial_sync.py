"""Initial sync of partners and rentals to Twenty, against the Twenty sandbox.

    .venv/bin/python -m bench.twenty_initial_sync [--partners 10000] [--rentals 50000]
                                                  [--rate 100]

Seeds its own database (`kgc_bench_twenty`: N active partners, M rentals completed within
the last 12 months), starts the Twenty sandbox in its own process with its rate limit at
`--rate` calls per minute, bootstraps the data model, then runs the initial sync with the
client-side limiter at the same rate. Halfway through the run is interrupted (as a crash
or Ctrl-C would) and resumed from its checkpoint by a fresh client. Reported: calls made,
records per call, wall time against the ceiling (60 records x rate per minute), the calls
one-per-record would have needed, how often the sandbox refused a call, and the
sandbox's own record counts (no record twice).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time

import requests

from bench.crm_sync_setup import seed, setup_django
from bench.sandbox_process import start_sandbox
from devstack.redis import free_port

DATABASE = "kgc_bench_twenty"
API_KEY = "bench-twenty-key"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--rentals", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=100, help="calls per minute (both sides)")
    args = parser.parse_args()

    setup_django(DATABASE)
    from apps.crm_plugin.models import SyncRun
    from apps.crm_plugin.rate_limit import TokenBucket
    from apps.crm_plugin.twenty.client import TwentyClient
    from apps.crm_plugin.twenty.config import TwentyConfig
    from apps.crm_plugin.twenty.initial_sync import SyncInterrupted, run_sync, start_run
    from apps.crm_plugin.twenty.schema_bootstrap import bootstrap_schema

    seed(args.partners, args.rentals, rental_prefix="B")
    SyncRun.objects.all().delete()
    port = free_port()
    sandbox = start_sandbox("sandboxes.twenty", port, "--api-key", API_KEY, "--rate-limit",
                            str(args.rate))
    url = f"http://127.0.0.1:{port}"
    try:
        # The schema comes first, on its own bucket (not part of the measured sync).
        with TwentyClient(TwentyConfig(url, API_KEY), bucket=TokenBucket(10_000)) as client:
            assert bootstrap_schema(client).ok
        requests.delete(f"{url}/_sandbox/requests", timeout=10)
        # The sandbox's bucket starts full; so does ours: both refill at `rate` per minute.
        config = TwentyConfig(url, API_KEY, calls_per_minute=args.rate)
        run = start_run()
        half = run.total // 2
        started = time.monotonic()
        bucket = TokenBucket(args.rate)
        with TwentyClient(config, bucket=bucket) as client, contextlib.suppress(SyncInterrupted):
            run_sync(client, run, should_stop=lambda r: r.done >= half)
        first_part = time.monotonic() - started
        run.refresh_from_db()
        print(f"interrupted at {run.done}/{run.total} ({run.phase} > pk {run.last_pk}) "
              f"after {first_part:.1f}s; resuming ...", flush=True)  # fmt: skip
        resumed = time.monotonic()
        # A fresh client and bucket, as after a restart (its bucket starts full again,
        # while the sandbox's did not refill: the limiter must absorb the difference).
        with TwentyClient(config, bucket=TokenBucket(args.rate)) as client:
            run = run_sync(client, run)
        wall = first_part + (time.monotonic() - resumed)
        state = requests.get(f"{url}/_sandbox/state", timeout=10).json()
        people = requests.get(f"{url}/_sandbox/records/person", timeout=60).json()["records"]
        records = requests.get(f"{url}/_sandbox/records/rentalRecord", timeout=120).json()[
            "records"
        ]
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)

    total_records = run.records_sent
    per_call = total_records / run.calls
    per_minute = total_records / (wall / 60)
    ceiling = 60 * args.rate
    print(f"records synced        {total_records} ({args.partners} people + "
          f"{args.rentals} rental records)")  # fmt: skip
    print(f"calls made            {run.calls} (one call per record: {total_records}, "
          f"{total_records / run.calls:.1f}x fewer)")  # fmt: skip
    print(f"records per call      {per_call:.2f}")
    print(f"wall time             {wall:.1f}s")
    print(f"throughput            {per_minute:.0f} records/min = "
          f"{100 * per_minute / ceiling:.1f}% of the ceiling {ceiling}/min (60 x {args.rate})")
    print(f"sandbox refusals      {state['rateLimit']['throttled']} (Limit reached)")
    unique_people = {p["kgcPartnerId"] for p in people}
    unique_records = {r["kgcRentalId"] for r in records}
    print(f"in the sandbox        {len(people)} people ({len(unique_people)} distinct), "
          f"{len(records)} rental records ({len(unique_records)} distinct)")  # fmt: skip
    ok = (len(people) == len(unique_people) == args.partners
          and len(records) == len(unique_records) == args.rentals)  # fmt: skip
    print("no record twice       " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
