"""Chatwoot conversations -> GLPI tickets and followups through the whole pipeline, against
the GLPI sandbox.

    .venv/bin/python -m bench.glpi_mirror [--conversations 1000] [--messages 5] [--concurrency 4]

Starts the GLPI sandbox (own process), a private redis-server and a Celery worker on the
benchmark database, connects a fresh tenant to the sandbox through the plugin manager,
then writes what the Chatwoot connector's inbound handlers write for each conversation
(in one transaction per conversation, as a webhook's handler does): one
``chatwoot.conversation_created`` and ``--messages`` ``chatwoot.message_created`` events
(the first message is the ticket's description, the others become followups; every
conversation comes from a different, unknown contact, so each also makes a GLPI user).
It waits until every delivery has finished and reports tickets/s and followups/s, the
number of ``initSession`` calls the sandbox saw (target: one per worker process), and the
``killSession`` calls of the worker's graceful stop. A fixed Python loop's time is printed
beside it as the machine reference.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench.bench_database import setup_django
from bench.sandbox_process import start_sandbox

APP_TOKEN = "bench-app-token"
USER_TOKEN = "bench-user-token"


def machine_reference() -> float:
    """Seconds of a fixed pure-Python loop: compare figures across machines by it."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i * i % 7
    assert total > 0
    return time.perf_counter() - started


def sandbox_state(port: int) -> dict[str, object]:
    state: dict[str, object] = requests.get(
        f"http://127.0.0.1:{port}/_sandbox/state", timeout=60).json()
    return state


def emit_conversation(tenant_id: int, n: int, messages: int) -> None:
    """What chatwoot/inbound.py writes for one customer conversation and its messages."""
    from django.db import transaction

    from apps.plugin_manager.eventbus.outbox.recording import emit_event
    from apps.support_plugin.chatwoot import event_types as events

    conversation_id, contact_id = 10_000 + n, 50_000 + n
    object_id = events.conversation_object_id(1, conversation_id)
    contact = {"id": contact_id, "name": f"Teszt Ügyfél {n}",
               "email": f"ugyfel{n}@example.hu", "phone_number": f"+3630{2000000 + n:07d}",
               "identifier": None}
    first = {"id": conversation_id * 10, "content": f"Jó napot! A {n}. gépem nem indul."}
    with transaction.atomic():
        emit_event(events.CONVERSATION_OPENED, tenant_id=tenant_id,
                   object_type=events.CONVERSATION_OBJECT_TYPE, object_id=object_id,
                   payload={"account_id": 1, "conversation_id": conversation_id,
                            "contact_id": contact_id, "worklog_id": None, "partner_id": None,
                            "inbox_id": 1, "status": "open", "labels": ["javitas"],
                            "priority": None, "first_message": first, "contact": contact})
        for m in range(messages):
            sender = "contact" if m % 2 == 0 else "agent"
            emit_event(events.MESSAGE_POSTED, tenant_id=tenant_id,
                       object_type=events.CONVERSATION_OBJECT_TYPE, object_id=object_id,
                       payload={"account_id": 1, "conversation_id": conversation_id,
                                "message_id": first["id"] + m,
                                "content": first["content"] if m == 0 else f"Üzenet {m}",
                                "private": m == messages - 1, "sender_type": sender,
                                "source_id": None, "opened_by_us": False, "partner_id": None,
                                "contact": contact, "labels": ["javitas"], "priority": None,
                                "status": "open"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sandbox-port", type=int, default=0)
    args = parser.parse_args()

    reference = machine_reference()
    setup_django()
    from django.conf import settings
    from django.core.cache import cache

    from apps.plugin_manager.eventbus.models import Delivery
    from apps.plugin_manager.services import set_enabled, update_settings
    from apps.support_plugin.glpi.models import GlpiSyncRecord, GlpiTicketLink
    from kgc_erp.tenants.models import Tenant
    from tests.infrastructure.processes import CeleryWorker, RedisServer, free_port

    port = args.sandbox_port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="kgc-bench-glpi-"))
    redis_server = RedisServer(workdir / "redis").start()
    sandbox = start_sandbox("sandboxes.glpi", port, "--app-token", APP_TOKEN, "--user-token",
                            USER_TOKEN)
    worker: CeleryWorker | None = None
    try:
        from kgc_erp.celery import app as celery_app

        celery_app.conf.broker_url = redis_server.url
        db = settings.DATABASES["default"]
        host = db["HOST"] or db.get("OPTIONS", {}).get("host", "")
        worker = CeleryWorker({
            "DJANGO_SETTINGS_MODULE": "kgc_erp.settings",
            "DATABASE_URL": f"postgres://{db['USER']}@/{db['NAME']}?host={host}",
            "CELERY_BROKER_URL": redis_server.url,
            "CACHE_URL": settings.CACHES["default"]["LOCATION"],
            "SUPPORT_MODULE_ENABLED": "false",
            "GLPI_ENABLED": "false",
        }, workdir, concurrency=args.concurrency, loglevel="warning").start()

        slug = f"bench-glpi-{uuid.uuid4().hex[:6]}"
        tenant = Tenant.objects.create(name=f"Bench {slug}", slug=slug)
        update_settings("glpi", tenant, {"glpi_api_url": f"http://127.0.0.1:{port}/apirest.php",
                                         "glpi_app_token": APP_TOKEN,
                                         "glpi_user_token": USER_TOKEN})
        set_enabled("glpi", tenant, True)
        cache.clear()

        started = time.monotonic()
        for n in range(args.conversations):
            emit_conversation(tenant.pk, n, args.messages)
        emitted_in = time.monotonic() - started
        deliveries = Delivery.objects.filter(tenant=tenant, subscriber="glpi")
        expected = args.conversations * (1 + args.messages)
        deadline = time.monotonic() + 3600
        while deliveries.exclude(status="pending").count() < expected:
            if time.monotonic() > deadline:
                raise RuntimeError("the mirror did not finish within an hour")
            time.sleep(0.25)
        elapsed = time.monotonic() - started
        worker.stop()  # graceful: the pool processes kill their sessions
        worker = None
        state = sandbox_state(port)
        links = GlpiTicketLink.objects.filter(tenant=tenant, ticket_id__isnull=False).count()
        followups = GlpiSyncRecord.objects.filter(
            ticket__tenant=tenant, direction="to_glpi", state="done",
            followup_id__isnull=False).count()
        failed = deliveries.exclude(status="succeeded").count()
    finally:
        if worker is not None:
            worker.stop()
        sandbox.terminate()
        sandbox.wait(timeout=10)
        redis_server.kill()

    counts = state["counts"]
    assert isinstance(counts, dict)
    load = os.getloadavg()
    print(f"machine reference (5M-step Python loop): {reference:.2f} s; cores: "
          f"{os.cpu_count()}, load average at the end {load[0]:.1f} / {load[1]:.1f} (1/5 min), "
          f"worker: prefork x {args.concurrency}")
    print(f"{args.conversations} conversations x {args.messages} messages: events written in "
          f"{emitted_in:.1f} s, all mirrored in {elapsed:.1f} s")
    print(f"tickets: {links} -> {links / elapsed:.1f} tickets/s; followups: {followups} -> "
          f"{followups / elapsed:.1f} followups/s; deliveries not succeeded: {failed}")
    print(f"GLPI sandbox: Ticket {counts.get('Ticket')}, ITILFollowup "
          f"{counts.get('ITILFollowup')}, User {counts.get('User')}; initSession calls "
          f"{state['init_session_calls']} (worker processes: {args.concurrency}), "
          f"killSession calls {state['kill_session_calls']}")


if __name__ == "__main__":
    main()
