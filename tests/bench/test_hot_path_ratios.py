"""CI guard of the hot paths: CPU per operation as a ratio to a baseline measured alongside.

Each hot path is measured against its baseline in this process, in rounds that alternate
subject and baseline (so a change in the machine's load hits both alike), and the median
of the rounds' ratios is compared with the ratio stored in `bench/ratios.json`. The test
fails when a ratio is more than 25 % above the stored one: a change made the hot path
dearer relative to the least the same work can cost, whatever the machine's speed.

CPU is this process's (`time.process_time`, all its threads): the Django stack and our
code, which is what a change here can make dearer; the database's share is measured by the
benchmarks (bench/, docs/benchmarks.md), not here.

- bot API by-phone and worklog status, against the minimal Django view doing the same
  indexed query (bench/bot_api_urls.py), both through Django's WSGI handler with every
  middleware and the response's close hook (the audit insert);
- the webhook inbox's acknowledgement, against the durable baseline (one INSERT of the raw
  body, bench/inbox_urls.py);
- saving a partner with two plugins subscribed, against the same save with none (inside
  the test's transaction: the publish after COMMIT is the benchmark's to measure).

After an intended change: `HOT_PATH_RATIOS_WRITE=1` with this test writes the measured
ratios into bench/ratios.json (commit it with the reason).
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django.test import override_settings

from apps.plugin_manager import services
from apps.plugin_manager.models import PluginState
from apps.support_plugin.bot_api.keys import issue_api_key
from apps.support_plugin.bot_api.scopes import Scope
from bench.measure import wsgi_request
from kgc_erp.partners.models import Partner
from kgc_erp.service.models import Worklog
from kgc_erp.tenants.models import Tenant
from tests.factories import headquarters

RATIOS_FILE = Path(__file__).resolve().parents[2] / "bench" / "ratios.json"
ALLOWED_REGRESSION = 1.25
ROUNDS = 7

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Requests go through a real WSGIHandler here, which closes "old" database connections
    at each request's start and end; the test's connection holds its transaction, so that
    is switched off as Django's test client does."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def cpu_ms(call: Callable[[int], object], count: int, offset: int) -> float:
    started = time.process_time()
    for index in range(offset, offset + count):
        call(index)
    return (time.process_time() - started) * 1000 / count


def median_ratio(subject: Callable[[int], object], baseline: Callable[[int], object],
                 per_round: int) -> tuple[float, float, float]:
    """(median ratio, subject ms, baseline ms) over ROUNDS interleaved rounds."""
    for index in range(20):  # warm connections, caches and lazy imports
        subject(index)
        baseline(index)
    ratios, subject_ms, baseline_ms = [], [], []
    for round_number in range(ROUNDS):
        offset = 20 + round_number * per_round
        if round_number % 2:
            base = cpu_ms(baseline, per_round, offset)
            subj = cpu_ms(subject, per_round, offset)
        else:
            subj = cpu_ms(subject, per_round, offset)
            base = cpu_ms(baseline, per_round, offset)
        ratios.append(subj / base)
        subject_ms.append(subj)
        baseline_ms.append(base)
    return statistics.median(ratios), statistics.median(subject_ms), statistics.median(baseline_ms)


def stored_ratios() -> dict[str, dict[str, float]]:
    return json.loads(RATIOS_FILE.read_text())["ratios"]  # type: ignore[no-any-return]


def check(name: str, measured: float, subject_ms: float, baseline_ms: float) -> None:
    print(f"{name}: {measured:.2f}x ({subject_ms:.3f} / {baseline_ms:.3f} ms CPU)")
    if os.environ.get("HOT_PATH_RATIOS_WRITE"):
        document = json.loads(RATIOS_FILE.read_text())
        document["ratios"][name] = {"ratio": round(measured, 2), "observed": [round(measured, 2)]}
        RATIOS_FILE.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return
    stored = stored_ratios()[name]["ratio"]
    limit = stored * ALLOWED_REGRESSION
    assert measured <= limit, (
        f"{name}: CPU ratio to its baseline {measured:.2f}x (subject {subject_ms:.3f} ms, "
        f"baseline {baseline_ms:.3f} ms per operation), stored {stored:.2f}x, allowed up to "
        f"{limit:.2f}x: the hot path got dearer"
    )


# --- bot API ----------------------------------------------------------------------------


@pytest.fixture
def bot_api_data(
    db: None, django_capture_on_commit_callbacks: Callable[..., object]
) -> Iterator[tuple[str, Tenant, list[str], list[str]]]:
    import bench.bot_api_urls

    hq = headquarters()
    # Committed as in production (the version published after COMMIT), so the process
    # shares its plugin state snapshot instead of reading the table on every call, as it
    # does while its own uncommitted state change is pending.
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        PluginState.objects.update_or_create(plugin_id="support", tenant=None,
                                             defaults={"enabled": True})
    key = issue_api_key(tenant=hq, name="Arányteszt", scopes=(Scope.READ,),
                        rate_limit_per_minute=10_000_000)
    partners = Partner.objects.bulk_create(
        Partner(tenant=hq, name=f"Teszt Ügyfél {i}", phone=f"+3630{1000000 + i:07d}")
        for i in range(100)
    )
    worklogs = Worklog.objects.bulk_create(
        Worklog(tenant=hq, partner=partner, number=f"M-2026-{i + 1:05d}",
                machine_type="Bosch GBH 2-26", issue_description="nem indul")
        for i, partner in enumerate(partners)
    )
    phones = [quote(f"06 30 {p.phone[5:8]} {p.phone[8:]}") for p in partners]
    numbers = [w.number for w in worklogs]
    previous = bench.bot_api_urls.TENANT_ID
    bench.bot_api_urls.TENANT_ID = hq.pk
    try:
        with override_settings(ROOT_URLCONF="bench.bot_api_urls"):
            yield key.raw_key, hq, phones, numbers
    finally:
        bench.bot_api_urls.TENANT_ID = previous


def _getter(headers: dict[str, str]) -> Callable[[str], None]:
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()

    def get(path: str) -> None:
        status = wsgi_request(handler, "GET", path, headers)
        assert status == 200, (path, status)

    return get


@pytest.mark.parametrize(("name", "looked_up", "api_path", "minimal_path"), [
    ("bot_api_by_phone", "phones", "/api/v1/customers/by-phone/{}",
     "/bench/minimal/by-phone/{}"),
    ("bot_api_worklog_status", "numbers", "/api/v1/service/worklogs/{}/status",
     "/bench/minimal/worklog/{}"),
])
def test_bot_api_cpu_ratio(bot_api_data: tuple[str, Tenant, list[str], list[str]], name: str,
                           looked_up: str, api_path: str, minimal_path: str) -> None:
    raw_key, _hq, phones, numbers = bot_api_data
    values = phones if looked_up == "phones" else numbers
    get = _getter({"Authorization": f"Bearer {raw_key}"})
    measured = median_ratio(
        lambda i: get(api_path.format(values[i % len(values)])),
        lambda i: get(minimal_path.format(values[i % len(values)])),
        per_round=40,
    )
    check(name, *measured)


# --- webhook inbox ----------------------------------------------------------------------


def test_inbox_acknowledgement_cpu_ratio(
    db: None, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    from django.core.handlers.wsgi import WSGIHandler

    from apps.support_plugin.chatwoot.webhooks import SIGNATURE
    from bench.inbox_urls import RAW_TABLE
    from tests.factories import TenantFactory
    from tests.plugin_manager.eventbus.contracts import chatwoot_webhook
    from tests.plugin_manager.eventbus.helpers import enable_gamma

    secret = "Xq2v7hR9kLm3pT8wZc5nB1dF"
    tenant = TenantFactory(name="Arányteszt bolt", slug="aranyteszt")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        # committed as in production (see bot_api_data)
        enable_gamma("http://127.0.0.1:9/hook", chatwoot_secret=secret, chatwoot_account_id=3)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {RAW_TABLE} (id bigserial primary key, "
                       "body bytea, received_at timestamptz default now())")
    body = chatwoot_webhook("message_created")
    stamp = int(time.time())
    signature = SIGNATURE.sign(secret, stamp, body)
    handler = WSGIHandler()

    def post(path: str) -> None:
        headers = {"Content-Type": "application/json", "X-Chatwoot-Delivery": str(uuid.uuid4()),
                   "X-Chatwoot-Timestamp": str(stamp), "X-Chatwoot-Signature": signature}
        status = wsgi_request(handler, "POST", path, headers, body)
        assert status == 200, (path, status)

    with override_settings(ROOT_URLCONF="bench.inbox_urls"):
        measured = median_ratio(
            lambda i: post(f"/webhooks/gamma-chatwoot/{tenant.slug}/"),
            lambda i: post("/bench/raw/"),
            per_round=40,
        )
    check("inbox_acknowledgement", *measured)


# --- outbox -----------------------------------------------------------------------------


def test_partner_save_with_two_subscribers_cpu_ratio(
    db: None, django_capture_on_commit_callbacks: Callable[..., object]
) -> None:
    from tests.factories import TenantFactory

    quiet = TenantFactory(name="Csendes bolt", slug="csendes")
    busy = TenantFactory(name="Forgalmas bolt", slug="forgalmas")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
        _switch_plugins(quiet, busy)  # committed as in production (see bot_api_data)
    none = Partner.objects.bulk_create(
        Partner(tenant=quiet, name=f"Csendes {i}", phone=f"+3630{3000000 + i:07d}")
        for i in range(50))
    two = Partner.objects.bulk_create(
        Partner(tenant=busy, name=f"Forgalmas {i}", phone=f"+3630{4000000 + i:07d}")
        for i in range(50))

    def saver(partners: list[Partner]) -> Callable[[int], None]:
        def save(index: int) -> None:
            partner = partners[index % len(partners)]
            partner.name = f"{partner.name.split(' #')[0]} #{index}"
            with transaction.atomic():
                partner.save()

        return save

    measured = median_ratio(saver(two), saver(none), per_round=40)
    check("partner_save_two_subscribers", *measured)


def _switch_plugins(quiet: Tenant, busy: Tenant) -> None:
    """Support and crm on (both subscribe to partner.updated) for `busy`, off for `quiet`."""
    services.update_settings("support", busy, {
        "chatwoot_api_url": "https://chatwoot.example.test",
        "chatwoot_api_key": "bench-chatwoot-key-0123", "chatwoot_account_id": 1})
    services.update_settings("crm", busy, {
        "crm_api_url": "https://crm.example.test", "crm_api_key": "bench-crm-key-0123"})
    services.set_enabled("support", busy, True)
    services.set_enabled("crm", busy, True)
    services.set_enabled("support", quiet, False)
    services.set_enabled("crm", quiet, False)
