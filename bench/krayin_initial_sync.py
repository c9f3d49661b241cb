"""Initial sync of partners with history into Krayin, against the Krayin sandbox.

    .venv/bin/python -m bench.krayin_initial_sync [--partners 10000] [--rentals 10000]
                                                  [--rate 0] [--database NAME]

Seeds its own database (`kgc_bench_krayin`: N active partners of the headquarters
tenant, every tenth one a company, M rentals completed within the last 12 months), starts the
Krayin sandbox in its own process (`--rate`: its throttle:api per minute, 0 = off, the
default, to measure our side; the client-side limiter is set to the same rate) and a
private redis-server (the shared token cache), then runs the initial sync. Halfway it is
interrupted and resumed from its checkpoint by a fresh client. Reported: records/s,
calls/record (per phase), this process's CPU seconds, logins, the sandbox's record counts
(no person or note twice), a same-run baseline (raw API calls/s from this process with a
bare HTTP session against the same, filled sandbox: what the sandbox and the loopback
allow without any of our work), the load average before and after, and a machine
reference (a fixed pure-Python loop) to compare figures across machines.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.crm_sync_setup import seed, setup_django
from bench.sandbox_process import start_sandbox

DATABASE = "kgc_bench_krayin"
EMAIL = "bench@kgc.example"
PASSWORD = "bench-secret"
REFERENCE_LOOP = 5_000_000
BASELINE_PAIRS = 300


def machine_reference_ms() -> float:
    """Milliseconds of a fixed pure-Python loop (best of three): the machine's speed."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(REFERENCE_LOOP):
            total += i & 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def raw_baseline(url: str, pairs: int) -> float:
    """Raw calls/s: `pairs` x (POST a person, POST a note on it) with a bare session, as
    the sales user (so the sync's API user is not logged out); the same two calls a
    partner costs the sync, without any ERP work around them."""
    session = requests.Session()
    token = session.post(f"{url}/api/v1/login", json={
        "email": "sales@example.com", "password": "sales-secret", "device_name": "baseline"},
        headers={"Accept": "application/json"}, timeout=10).json()["token"]  # fmt: skip
    session.headers.update({"Accept": "application/json", "Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    for i in range(pairs):
        person = session.post(f"{url}/api/v1/contacts/persons", json={
            "name": f"Baseline {i}", "emails": [{"value": f"b{i}@baseline.example",
                                                  "label": "work"}],
            "contact_numbers": [{"value": f"+3670{i:07d}", "label": "work"}]},
            timeout=30).json()["data"]  # fmt: skip
        session.post(f"{url}/api/v1/activities", json={
            "type": "note", "title": "baseline", "comment": "x", "person_id": person["id"]},
            timeout=30).raise_for_status()  # fmt: skip
    return 2 * pairs / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--rentals", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=0, help="calls per minute (0: no limit)")
    parser.add_argument("--database", default=DATABASE, help="own database (seeded, reused)")
    args = parser.parse_args()

    from devstack.redis import free_port, start_private_redis

    load_before = os.getloadavg()
    reference = machine_reference_ms()
    redis, redis_url = start_private_redis(Path(tempfile.mkdtemp(prefix="kgc-bench-redis-")))
    port = free_port()
    sandbox = start_sandbox("sandboxes.krayin", port, "--email", EMAIL, "--password",
                            PASSWORD, "--rate-limit", str(args.rate))
    try:
        setup_django(args.database, cache_url=redis_url)
        from apps.crm_plugin.krayin.client import KrayinClient
        from apps.crm_plugin.krayin.config import KrayinConfig
        from apps.crm_plugin.krayin.initial_sync import SyncInterrupted, run_sync, start_run
        from apps.crm_plugin.models import SyncRun
        from apps.crm_plugin.rate_limit import TokenBucket
        from apps.plugin_manager.eventbus.models import ExternalRef
        from kgc_erp.tenants.models import Tenant

        seed(args.partners, args.rentals, rental_prefix="K", company_every=10)
        SyncRun.objects.all().delete()
        ExternalRef.objects.filter(system__startswith="krayin").delete()
        per_minute = args.rate or 1_000_000
        config = KrayinConfig(f"http://127.0.0.1:{port}/api/v1", EMAIL, PASSWORD,
                              calls_per_minute=per_minute)  # fmt: skip
        run = start_run(Tenant.headquarters())
        half = run.total // 2
        phase_calls: dict[str, int] = {}
        phase_records: dict[str, int] = {}
        last = {"calls": 0, "done": 0}

        def progress(current: SyncRun) -> None:
            """Calls and records per phase (the batch just saved belongs to run.phase)."""
            records = current.done - last["done"]
            phase = current.phase if records else "outside"  # the reading before a batch
            phase_calls[phase] = phase_calls.get(phase, 0) + current.calls - last["calls"]
            phase_records[phase] = phase_records.get(phase, 0) + records
            last.update(calls=current.calls, done=current.done)

        started = time.monotonic()
        cpu_started = time.process_time()
        with KrayinClient(config, bucket=TokenBucket(per_minute)) as client, \
                contextlib.suppress(SyncInterrupted):
            run_sync(client, run, progress=progress, should_stop=lambda r: r.done >= half)
        run.refresh_from_db()
        print(f"interrupted at {run.done}/{run.total} ({run.phase} > pk {run.last_pk}); "
              "resuming with a fresh client ...", flush=True)  # fmt: skip
        with KrayinClient(config, bucket=TokenBucket(per_minute)) as client:
            run = run_sync(client, run, progress=progress)
        wall = time.monotonic() - started
        cpu = time.process_time() - cpu_started
        url = f"http://127.0.0.1:{port}"
        state = requests.get(f"{url}/_sandbox/state", timeout=30).json()
        token = requests.post(f"{url}/api/v1/login", json={
            "email": "sales@example.com", "password": "sales-secret", "device_name": "bench"},
            headers={"Accept": "application/json"}, timeout=10).json()["token"]  # fmt: skip
        headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
        persons = requests.get(f"{url}/api/v1/contacts/persons", params={"pagination": 0},
                               headers=headers, timeout=300).json()["data"]  # fmt: skip
        activities = requests.get(f"{url}/api/v1/activities", params={"pagination": 0},
                                  headers=headers, timeout=300).json()["data"]  # fmt: skip
        baseline = raw_baseline(url, BASELINE_PAIRS)
        load_after = os.getloadavg()
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        redis.terminate()
        redis.wait(timeout=10)

    records = run.records_sent
    notes = [a for a in activities if a["type"] == "note"]
    markers = {e["value"] for p in persons for e in p["emails"] if e["label"] == "kgc"}
    titles = [a["title"] for a in notes if a["title"].startswith("[")]
    print(f"machine reference     {reference:.0f} ms for a {REFERENCE_LOOP:,}-step Python loop "
          f"({os.cpu_count()} CPUs)")
    print("load average          before {:.1f} {:.1f} {:.1f}, after {:.1f} {:.1f} {:.1f}".format(
        *load_before, *load_after))
    print(f"records synced        {records} ({args.partners} partners + {args.rentals} rentals)")
    print(f"wall time             {wall:.1f}s (sandbox throttle: {args.rate or 'off'})")
    print(f"throughput            {records / wall:.1f} records/s")
    print(f"calls made            {run.calls} = {run.calls / records:.2f} calls/record")
    for phase, count in phase_records.items():
        if count:
            print(f"  {phase:<19} {count} records, {phase_calls[phase]} calls = "
                  f"{phase_calls[phase] / count:.2f} calls/record")
    print(f"  outside batches     {phase_calls.get('outside', 0)} calls (reading every person "
          "and organization at each start)")
    print(f"our CPU               {cpu:.1f}s in this process = "
          f"{1000 * cpu / records:.1f} ms/record")
    print(f"raw baseline          {baseline:.1f} calls/s (bare session, person + note pairs, "
          f"same sandbox afterwards) vs the sync's {run.calls / wall:.1f} calls/s")
    print(f"logins                {state['login_count']}")
    print(f"in the sandbox        {len(persons)} persons ({len(markers)} distinct partners), "
          f"{len(notes)} notes ({len(titles)} history, {len(set(titles))} distinct)")
    ok = (len(persons) == len(markers) == args.partners
          and len(titles) == len(set(titles)) == args.rentals
          and len(notes) - len(titles) == args.partners)  # fmt: skip
    print("nothing twice         " + ("yes" if ok else "NO"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
