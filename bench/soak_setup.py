"""The soak run's data and connections, made in this process through the product's own
code (Django set up against the private cluster): migrate, a small shop (partners and
machines of the headquarters), Chatwoot and Twenty connected and enabled the way `make run`
connects the demo (`support_connect_chatwoot`, `crm_connect_twenty`), a bot API key, and the
sweeper's beat schedule every few seconds."""

from __future__ import annotations

import json
import os
import time
import urllib.request
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .soak_stack import SANDBOX_TOKEN, SWEEP_EVERY_SECONDS, SoakStack

PARTNERS = 40
MACHINES = 80


@dataclass
class Secrets:
    chatwoot_webhook: str
    chatwoot_account_id: int
    twenty_webhook: str
    api_key: str
    tenant_slug: str


def setup_django(stack: SoakStack) -> None:
    """This process becomes a client of the product's database and broker."""
    os.environ.update(stack.env)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def seed_shop() -> None:
    from kgc_erp.partners.models import Partner
    from kgc_erp.rentals.models import Machine
    from kgc_erp.tenants.models import Tenant

    tenant = Tenant.headquarters()
    for n in range(PARTNERS):
        Partner.objects.create(tenant=tenant, name=f"Soak Partner {n:03d}",
                               phone=f"+3620{5000000 + n:07d}",
                               email=f"soak{n:03d}@example.hu")
    for n in range(MACHINES):
        Machine.objects.create(tenant=tenant, name=f"Makita fúrógép {n:03d}", type="fúrógép",
                               serial=f"SOAK-{n:05d}", daily_rate=Decimal("6000"))


def sweep_often() -> None:
    """The sweeper every SWEEP_EVERY_SECONDS (the migration's schedule is every minute):
    messages a restarted Redis lost are published again within seconds."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(every=SWEEP_EVERY_SECONDS,
                                                      period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(task="eventbus.sweep").update(interval=every)


def connect(stack: SoakStack) -> Secrets:
    """Chatwoot and Twenty connected and on (their initial syncs run on the workers)."""
    stack.manage("support_connect_chatwoot", "--api-url", stack.chatwoot_url, "--api-token",
                 SANDBOX_TOKEN, "--platform-token", SANDBOX_TOKEN, "--account-id", "1",
                 "--enable")
    stack.manage("crm_connect_twenty", "--api-url", stack.twenty_url, "--api-key",
                 SANDBOX_TOKEN, "--enable")
    from apps.plugin_manager.runtime import get_plugin_settings
    from apps.support_plugin.bot_api.keys import issue_api_key
    from apps.support_plugin.bot_api.scopes import Scope
    from apps.support_plugin.chatwoot.config import settings_for
    from kgc_erp.tenants.models import Tenant

    tenant = Tenant.headquarters()
    support = settings_for(tenant)  # the tenant's own account row, as the inbox reads it
    crm = get_plugin_settings("crm", None)
    issued = issue_api_key(tenant=tenant, name="soak", scopes=(Scope.READ,),
                           rate_limit_per_minute=1_000_000)
    return Secrets(
        chatwoot_webhook=str(support.webhook_secret),
        chatwoot_account_id=int(support.account_id or 0),
        twenty_webhook=str(crm["crm_webhook_secret"]),
        api_key=issued.raw_key,
        tenant_slug=tenant.slug,
    )


def enable_koko() -> int:
    """Kokó on for the headquarters with the shared knowledge base loaded (the demo's
    embedding cache has its vectors, so this takes seconds); returns the article count."""
    from apps.plugin_manager.services import set_enabled
    from apps.support_plugin.koko.config import koko_settings
    from apps.support_plugin.koko.embeddings import get_provider
    from apps.support_plugin.koko.kb_loader import load
    from apps.support_plugin.koko.models import KnowledgeArticle
    from devstack.shared_folder import shared_path
    from kgc_erp.tenants.models import Tenant

    tenant = Tenant.headquarters()
    settings = koko_settings(None)
    load(shared_path("kb", "articles.jsonl"),
         get_provider(settings.embedding_provider, settings.gemini_api_key))
    set_enabled("koko", tenant, True)
    return KnowledgeArticle.objects.filter(is_active=True).count()


def enable_campaigns() -> None:
    """The e-mail campaigns on (the expiry reminder is one of the migration's campaigns)."""
    from apps.crm_plugin.campaigns.config import PLUGIN_ID
    from apps.plugin_manager.services import set_enabled

    set_enabled(PLUGIN_ID, None, True)


def wait_for_sync(stack: SoakStack, timeout: float = 180) -> float:
    """Until the connections' initial syncs are done (every partner a Chatwoot contact and
    a Twenty person) and no delivery waits; returns the seconds it took."""
    from apps.plugin_manager.eventbus.models import Delivery

    started = time.monotonic()
    while time.monotonic() - started < timeout:
        contacts = _get_json(f"{stack.chatwoot_url}/_sandbox/state")["contacts"]
        people = _get_json(f"{stack.twenty_control_url}/_sandbox/records/person")["records"]
        idle = not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()
        if len(contacts) >= PARTNERS and len(people) >= PARTNERS and idle:
            break
        time.sleep(1)
    else:
        raise TimeoutError(f"the initial syncs did not finish in {timeout:.0f} s")
    return round(time.monotonic() - started, 1)


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())
