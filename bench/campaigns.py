"""E-mail campaigns: selection time at 100 000 partners, and e-mails per second to a local
SMTP sink.

    .venv/bin/python -m bench.campaigns [--partners 100000] [--emails 10000] [--threads 8]

1. Selection: each campaign's one query (best of 3), beside the bare SQL COUNT(*) of the
   same query, on the benchmark database seeded to `--partners` (bench/bench_database.py).
2. Sending: `--emails` CampaignSend rows are delivered through the production handler
   (`outbound.send_campaign_email`: row re-read, consent check, Redis rate limit, template
   rendering, MIME building, SMTP over a kept-open connection, status update) from
   `--threads` threads, to an aiosmtpd sink in a process of its own; then a plain smtplib
   loop sends the same rendered messages over one connection to the same sink.
A machine reference (a fixed pure-Python loop) is printed first, to compare machines.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench.bench_database import ensure_partners, setup_django
from devstack.redis import start_private_redis, wait_for_port


def machine_reference() -> float:
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return time.perf_counter() - start


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


def _prepare_sends(count: int) -> list[int]:
    from django.db import connection

    from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
    from kgc_erp.partners.models import Partner

    campaign = Campaign.objects.get(kind=CampaignKind.WIN_BACK)
    CampaignSend.objects.filter(occasion_key__startswith="bench:").delete()
    partners = list(Partner.objects.filter(is_active=True).exclude(email="")
                    .values_list("pk", "tenant_id")[:count])
    Partner.objects.filter(pk__in=[p for p, _ in partners]).update(marketing_consent=True)
    sends = CampaignSend.objects.bulk_create(
        CampaignSend(campaign=campaign, tenant_id=tenant_id, partner_id=partner_id,
                     occasion_key="bench:1", context={"last_rental_date": "2026-01-15"})
        for partner_id, tenant_id in partners)
    connection.close()
    return [send.pk for send in sends]


def bench_sending(emails: int, threads: int, port: int) -> tuple[float, list[bytes]]:
    from django.db import connection

    from apps.crm_plugin.campaigns import outbound
    from apps.crm_plugin.campaigns.models import CampaignSend
    from apps.crm_plugin.campaigns.sending import close_connection
    from apps.plugin_manager.eventbus.models import Event
    from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
    from kgc_erp.tenants.models import Tenant

    ids = _prepare_sends(emails)
    tenants = {t.pk: t for t in Tenant.objects.all()}
    tenant_of = dict(CampaignSend.objects.filter(pk__in=ids).values_list("pk", "tenant_id"))
    settings = {"campaign_rate_limit_per_minute": 10_000_000}
    chunks = [ids[i::threads] for i in range(threads)]
    errors: list[BaseException] = []

    def work(chunk: list[int]) -> None:
        try:
            for n, send_id in enumerate(chunk):
                tenant = tenants[tenant_of[send_id]]
                event = Event(type="campaign.send_due", tenant=tenant, tenant_id=tenant.pk,
                              object_type="crm_campaigns.campaignsend",
                              object_id=str(send_id), payload={})
                outbound.send_campaign_email(DeliveryContext(
                    event=event, plugin_id="crm_campaigns", tenant=tenant, settings=settings,
                    attempt=1, delivery_id=n))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_connection()
            connection.close()

    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    start = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    sent = CampaignSend.objects.filter(pk__in=ids, status=CampaignSend.Status.SENT).count()
    assert sent == len(ids), f"only {sent} of {len(ids)} sent"
    rate = len(ids) / elapsed
    print(f"pipeline handler: {len(ids)} e-mails in {elapsed:.2f} s = {rate:.0f} e-mails/s "
          f"({threads} threads)")
    # The same rendered messages, for the plain loop.
    from apps.crm_plugin.campaigns.rendering import RenderedEmail
    from apps.crm_plugin.campaigns.sending import build_message

    raws = []
    for send in CampaignSend.objects.filter(pk__in=ids).order_by("pk").iterator():
        rendered = RenderedEmail(send.subject, send.body_html, send.body_text, "", "")
        raws.append(build_message(rendered, send.to_email).message().as_bytes(linesep="\r\n"))
    return rate, raws


def bench_plain_smtplib(raws: list[bytes], port: int) -> float:
    import smtplib

    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i, raw in enumerate(raws):
            smtp.sendmail("noreply@kgc.example", [f"bench{i}@example.hu"], raw)
    elapsed = time.perf_counter() - start
    rate = len(raws) / elapsed
    print(f"plain smtplib loop: {len(raws)} e-mails in {elapsed:.2f} s = {rate:.0f} e-mails/s")
    return rate


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--selection-only", action="store_true")
    args = parser.parse_args()

    print(f"machine reference (3M-iteration Python loop): {machine_reference():.3f} s")
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
        from apps.plugin_manager import services

        services.set_enabled("crm_campaigns", None, True)
        ensure_partners(args.partners)
        from django.db import connection

        with connection.cursor() as cursor:  # fresh statistics and visibility map
            cursor.execute("VACUUM ANALYZE rentals_rental")
            cursor.execute("VACUUM ANALYZE partners_partner")
        bench_selection()
        if args.selection_only:
            return 0
        rate, raws = bench_sending(args.emails, args.threads, port)
        plain = bench_plain_smtplib(raws, port)
        print(f"pipeline / plain = {rate / plain:.2f} (target >= 0.5), "
              f"pipeline >= 100/s: {rate >= 100}")
    finally:
        sink.terminate()
        sink.wait(timeout=10)
        if redis_process is not None:
            redis_process.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())

