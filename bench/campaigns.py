"""E-mail campaigns: selection time at 100 000 partners, and e-mails per second to a local
SMTP sink.

    .venv/bin/python -m bench.campaigns [--partners 100000] [--emails 10000]
        [--processes 2] [--batch-size 200] [--profile docs/profiles/campaigns-send.txt]

1. Selection: each campaign's one query (best of 3), beside the bare SQL COUNT(*) of the
   same query, on the benchmark database seeded to `--partners` (bench/bench_database.py).
2. Sending: `--emails` partners are queued through the production path
   (`queueing.queue_candidates`: rows and one `campaign.send_due` event per batch), then
   every delivery runs through the event bus's `run_delivery` (claim, plugin checks,
   `send_campaign_batch`, finish) in `--processes` forked processes, as a prefork worker
   runs them, to an aiosmtpd sink in a process of its own. A plain smtplib loop sends the
   same messages (the rows' stored subject and bodies, the same MIME writer) over one
   connection to the same sink, twice right after the pipeline; the ratio is against
   their mean.
A machine reference (a fixed pure-Python loop, `SELECT 1` p50) and the load average are
printed before and after, to compare machines and runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.bench_database import ensure_partners, setup_django
from devstack.redis import start_private_redis, wait_for_port


def python_loop_seconds() -> float:
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return time.perf_counter() - start


def select_one_p50_ms(samples: int = 300) -> float:
    from django.db import connection

    timings = []
    with connection.cursor() as cursor:
        for _ in range(samples):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def machine_reference(label: str) -> str:
    return (f"machine reference ({label}): 3M-iteration loop {python_loop_seconds():.3f} s, "
            f"SELECT 1 p50 {select_one_p50_ms():.3f} ms, "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sink() -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, timeout=20)
    return process, port


def bench_selection(runs: int = 3) -> None:
    from django.db import connection
    from django.utils import timezone

    from apps.crm_plugin.campaigns.models import Campaign
    from apps.crm_plugin.campaigns.queueing import enabled_tenant_ids
    from apps.crm_plugin.campaigns.selection import select_candidates, selection_sql

    today = timezone.localdate()
    print(f"{'campaign':<18}{'rows':>8}{'selection (s)':>16}{'COUNT(*) (s)':>15}")
    for campaign in Campaign.objects.order_by("id"):
        if campaign.kind == "new_machines" and "last_machine_id" not in campaign.state:
            campaign.state = {"last_machine_id": 0}  # every machine "new": the worst case
        tenants = enabled_tenant_ids(campaign)
        best = count_best = float("inf")
        rows = 0
        for _ in range(runs):
            start = time.perf_counter()
            rows = len(select_candidates(campaign, today, tenants))
            best = min(best, time.perf_counter() - start)
            sql, params = selection_sql(campaign, today, tenants)
            start = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM ({sql}) AS selected", params)
                cursor.fetchone()
            count_best = min(count_best, time.perf_counter() - start)
        print(f"{campaign.kind:<18}{rows:>8}{best:>16.3f}{count_best:>15.3f}")


def _queue_sends(count: int, batch_size: int) -> tuple[list[int], list[int], float]:
    """Queue `count` win-back e-mails the production way; (send ids, delivery ids, s)."""
    from django.utils import timezone

    from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
    from apps.crm_plugin.campaigns.queueing import queue_candidates
    from apps.crm_plugin.campaigns.selection import Candidate
    from apps.plugin_manager import services
    from apps.plugin_manager.eventbus.models import Delivery
    from kgc_erp.partners.models import Partner

    services.update_settings("crm_campaigns", None, {
        "campaign_send_batch_size": batch_size,
        "campaign_rate_limit_per_minute": 10_000_000})
    campaign = Campaign.objects.get(kind=CampaignKind.WIN_BACK)
    CampaignSend.objects.filter(occasion_key__startswith="bench:").delete()
    partners = list(Partner.objects.filter(is_active=True).exclude(email="")
                    .values_list("pk", "tenant_id", "email")[:count])
    Partner.objects.filter(pk__in=[p for p, _, _ in partners]).update(marketing_consent=True)
    key = f"bench:{time.time_ns()}"
    candidates = [Candidate(partner_id=pk, tenant_id=tenant_id, email=email,
                            marketing_consent=True, occasion_key=key,
                            context={"last_rental_date": "2026-01-15"})
                  for pk, tenant_id, email in partners]
    since = timezone.now()
    start = time.perf_counter()
    queued = queue_candidates(campaign, candidates).queued
    elapsed = time.perf_counter() - start
    assert queued == len(candidates), f"queued {queued} of {len(candidates)}"
    ids = list(CampaignSend.objects.filter(occasion_key=key).values_list("pk", flat=True))
    deliveries = list(Delivery.objects.filter(
        subscriber="crm_campaigns", event__type="campaign.send_due", created_at__gte=since,
        status=Delivery.Status.PENDING).order_by("pk").values_list("pk", flat=True))
    return ids, deliveries, elapsed


def _without_machine_paths(text: str) -> str:
    """Profile lines name files relative to the repository, site-packages and the stdlib
    (tracked files carry no machine paths)."""
    import sysconfig

    repo = str(Path(__file__).resolve().parent.parent) + "/"
    for prefix, name in ((sysconfig.get_paths()["purelib"] + "/", "<site-packages>/"),
                         (sysconfig.get_paths()["stdlib"] + "/", "<stdlib>/"), (repo, "")):
        text = text.replace(prefix, name)
    return text


def _run_deliveries(job: tuple[list[int], str]) -> tuple[Counter[str], float, float, float]:
    """One forked process: run its share of the deliveries, as a worker process would;
    (outcomes, CPU seconds, wall start, wall end)."""
    from django.db import connection

    from apps.plugin_manager.eventbus.outbox.delivery import run_delivery

    delivery_ids, profile_path = job
    wall_start = time.time()
    cpu_start = time.process_time()
    profiler = None
    if profile_path:
        import cProfile

        # CPU time, not wall time: waiting for a core on a loaded machine is not a cost
        # of the code.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
    outcomes = Counter(str(run_delivery(pk)) for pk in delivery_ids)
    cpu = time.process_time() - cpu_start
    wall_end = time.time()
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(45)
        out.write("\n\n---- by own time ----\n")
        stats.sort_stats("tottime").print_stats(30)
        Path(profile_path).write_text(_without_machine_paths(out.getvalue()))
    connection.close()
    return outcomes, cpu, wall_start, wall_end


def bench_sending(emails: int, processes: int, batch_size: int,
                  profile: str) -> tuple[float, list[tuple[str, bytes]]]:
    import multiprocessing

    from django.db import connections

    from apps.crm_plugin.campaigns.models import CampaignSend

    ids, deliveries, queue_seconds = _queue_sends(emails, batch_size)
    print(f"queueing: {len(ids)} sends, {len(deliveries)} deliveries (batch {batch_size}) "
          f"in {queue_seconds:.2f} s")
    connections.close_all()  # the children open their own
    chunks = [deliveries[i::processes] for i in range(processes)]
    jobs = [(chunk, profile if n == 0 else "") for n, chunk in enumerate(chunks)]
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        start = time.perf_counter()
        results = pool.map(_run_deliveries, jobs)
        elapsed = time.perf_counter() - start
    outcomes = sum((r[0] for r in results), Counter())
    cpu = sum(r[1] for r in results)
    # The processes must run side by side, not one after the other.
    spans = ", ".join(f"{r[2] - min(x[2] for x in results):.2f}-"
                      f"{r[3] - min(x[2] for x in results):.2f} s" for r in results)
    print(f"sending processes ran (from the first start): {spans}")
    sent = CampaignSend.objects.filter(pk__in=ids, status=CampaignSend.Status.SENT).count()
    assert sent == len(ids), f"only {sent} of {len(ids)} sent; deliveries: {dict(outcomes)}"
    rate = len(ids) / elapsed
    print(f"pipeline (run_delivery, {processes} processes): {len(ids)} e-mails in "
          f"{elapsed:.2f} s = {rate:.0f} e-mails/s; deliveries {dict(outcomes)}; "
          f"CPU of the sending processes {cpu * 1000 / len(ids):.2f} ms per e-mail"
          f"{' (under cProfile)' if profile else ''}")
    # The same messages for the plain loop: the rows' stored content, the same writer.
    from apps.crm_plugin.campaigns.mime import format_address, message_bytes
    from apps.crm_plugin.campaigns.rendering import RenderedEmail
    from apps.crm_plugin.campaigns.unsubscribe import unsubscribe_links

    from_header = format_address("KGC <noreply@kgc.example>")
    raws = []
    for send in CampaignSend.objects.filter(pk__in=ids).order_by("pk").iterator():
        links = unsubscribe_links(send.partner_id, "win_back")
        rendered = RenderedEmail(send.subject, send.body_html, send.body_text, links.page,
                                 links.one_click)
        raws.append((send.to_email, message_bytes(rendered, to=send.to_email,
                                                  from_header=from_header,
                                                  message_id=send.message_id)))
    return rate, raws


def bench_plain_smtplib(raws: list[tuple[str, bytes]], port: int, label: str) -> float:
    import smtplib

    start = time.perf_counter()
    cpu_start = time.process_time()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, raw in raws:
            smtp.sendmail("noreply@kgc.example", [to], raw)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    rate = len(raws) / elapsed
    print(f"plain smtplib loop ({label}): {len(raws)} e-mails in {elapsed:.2f} s = "
          f"{rate:.0f} e-mails/s; CPU {cpu * 1000 / len(raws):.2f} ms per e-mail")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--profile", default="",
                        help="CPU-time cProfile of sending process 0, written to this file")
    parser.add_argument("--selection-only", action="store_true")
    parser.add_argument("--sending-only", action="store_true")
    args = parser.parse_args()

    # Inside the repository's var/ (gitignored), wherever the repository lives.
    default_workdir = Path(__file__).resolve().parent.parent / "var" / "bench-campaigns"
    workdir = Path(os.environ.get("BENCH_WORKDIR", default_workdir))
    workdir.mkdir(parents=True, exist_ok=True)
    redis_process = None
    if not os.environ.get("REDIS_URL"):
        redis_process, url = start_private_redis(workdir / "redis")
        os.environ["REDIS_URL"] = url
    sink, port = start_sink()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    try:
        setup_django()
        import logging

        logging.getLogger("crm_plugin.campaigns").setLevel(logging.WARNING)
        from apps.plugin_manager import services

        services.set_enabled("crm_campaigns", None, True)
        ensure_partners(args.partners)
        from django.db import connection

        with connection.cursor() as cursor:  # fresh statistics and visibility map
            cursor.execute("VACUUM ANALYZE rentals_rental")
            cursor.execute("VACUUM ANALYZE partners_partner")
        print(machine_reference("before"))
        if not args.sending_only:
            bench_selection()
        if args.selection_only:
            return 0
        rate, raws = bench_sending(args.emails, args.processes, args.batch_size, args.profile)
        plain_before = bench_plain_smtplib(raws, port, "after the pipeline")
        plain_after = bench_plain_smtplib(raws, port, "again")
        plain = (plain_before + plain_after) / 2
        print(f"pipeline / plain = {rate / plain:.2f} (target >= 0.5), "
              f"pipeline >= 100/s: {rate >= 100}")
        print(machine_reference("after"))
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        if redis_process is not None:
            redis_process.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
