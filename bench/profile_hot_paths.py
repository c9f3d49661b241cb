"""CPU profiles of the hot paths, in-process (cProfile with a CPU clock), written as
text to docs/profiles/.

    .venv/bin/python -m bench.profile_hot_paths bot-api [--requests 2000]

bot-api: requests through Django's WSGI handler (all middleware, the response's close
hooks) on the bot API benchmark's database: the by-phone and the worklog status endpoints
and, for comparison, their minimal views (bench/bot_api_urls.py). Each profile lists the
functions by cumulative and by own time; the header gives the CPU per request measured
without the profiler, the machine reference and the load average.
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", choices=("bot-api",))
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--partners", type=int, default=20_000)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    {"bot-api": bot_api}[args.path](args)


if __name__ == "__main__":
    main()
