"""The Chatwoot source's per-process settings cache (webhook_settings.py): a tenant's own
account read once for both questions of a webhook, a change made in this process seen at
once, one made elsewhere within the stated staleness."""

from __future__ import annotations

import time
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.support_plugin.chatwoot import webhook_settings
from apps.support_plugin.chatwoot.accounts import connect_tenant
from apps.support_plugin.chatwoot.models import ChatwootAccount
from apps.support_plugin.chatwoot.webhooks import SIGNATURE
from kgc_erp.tenants.models import Tenant
from tests.factories import TenantFactory
from tests.plugin_manager.eventbus.contracts import chatwoot_webhook

# Committed state rows: inside a test transaction that wrote them, the plugin state is read
# afresh on every call (snapshot.py), and so is this cache.
pytestmark = pytest.mark.django_db(transaction=True)

ACCOUNT_TABLE = ChatwootAccount._meta.db_table
OLD, NEW = "old-webhook-secret", "new-webhook-secret"


@pytest.fixture
def shop() -> Tenant:
    tenant = TenantFactory(slug="kgc-webhook-cache", name="KGC cache")
    connect_tenant(tenant, "http://127.0.0.1:9", "plugin-token", 3, webhook_secret="unused")
    account = ChatwootAccount(tenant=tenant, account_id=3)
    account.api_token = "own-token"
    account.webhook_secret = OLD
    account.save()
    webhook_settings.forget()
    return tenant


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(webhook_settings, "_clock", lambda: now[0])
    return now


def post(client: Client, tenant: Tenant, secret: str) -> int:
    body = chatwoot_webhook("message_created")
    stamp = int(time.time())
    return client.post(
        f"/webhooks/chatwoot/{tenant.slug}/", data=body, content_type="application/json",
        headers={"X-Chatwoot-Signature": SIGNATURE.sign(secret, stamp, body),
                 "X-Chatwoot-Timestamp": str(stamp), "X-Chatwoot-Delivery": str(uuid.uuid4())},
    ).status_code


def test_the_account_is_read_once_for_both_questions_and_then_cached(client, shop,
                                                                      clock) -> None:
    for expected_reads in (1, 0):  # the secret and the account check; then the cache
        with CaptureQueriesContext(connection) as queries:
            assert post(client, shop, OLD) == 200
        reads = [q for q in queries.captured_queries if ACCOUNT_TABLE in q["sql"]]
        assert len(reads) == expected_reads


def test_a_secret_saved_in_this_process_is_used_at_once(client, shop, clock) -> None:
    assert post(client, shop, OLD) == 200
    account = ChatwootAccount.objects.get(tenant=shop)
    account.webhook_secret = NEW
    account.save()
    assert post(client, shop, OLD) == 401
    assert post(client, shop, NEW) == 200


def test_a_secret_changed_elsewhere_is_used_within_the_staleness(client, shop, clock) -> None:
    assert post(client, shop, OLD) == 200
    # Another process's change: the row changes, this process gets no signal.
    ChatwootAccount.objects.filter(tenant=shop).update(
        webhook_secret_encrypted=ChatwootAccount._write(NEW))
    assert post(client, shop, OLD) == 200  # still within the bound
    clock[0] += webhook_settings.STALENESS_SECONDS + 0.01
    assert post(client, shop, OLD) == 401
    assert post(client, shop, NEW) == 200


def test_an_account_deleted_in_this_process_falls_back_to_the_plugin_settings(
        client, shop, clock) -> None:
    assert post(client, shop, OLD) == 200
    ChatwootAccount.objects.filter(tenant=shop).delete()
    assert post(client, shop, OLD) == 401
    assert post(client, shop, "unused") == 200
