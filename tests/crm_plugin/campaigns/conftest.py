"""Fixtures of the campaign tests: a real SMTP server (aiosmtpd) on a free port, a worker
of these tests' own on a broker of their own (its EMAIL_URL points at that server), the
campaigns plugin switched on through the plugin manager's services, and data builders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.plugin_manager import services
from apps.plugin_manager.eventbus import tasks as _eventbus_tasks  # noqa: F401 - registers
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Machine, Rental
from kgc_erp.tenants.models import Tenant
from tests.infrastructure.broker import point_celery_at
from tests.infrastructure.processes import RedisServer, WorkerSupervisor

from .smtp_sink import SmtpSink

PLUGIN = "crm_campaigns"
PUBLIC_BASE_URL = "https://erp.kgc.example"
_numbers = count(1)


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def smtp(smtp_sink: SmtpSink) -> SmtpSink:
    smtp_sink.handler.reset()
    return smtp_sink


@pytest.fixture(scope="session")
def campaign_broker(redis_factory: Callable[[], RedisServer]) -> RedisServer:
    return redis_factory()


@pytest.fixture(scope="session")
def campaign_workers(worker_factory: Callable[..., WorkerSupervisor],
                     campaign_broker: RedisServer, smtp_sink: SmtpSink) -> WorkerSupervisor:
    return worker_factory(campaign_broker, EMAIL_URL=smtp_sink.url, DB_CONN_MAX_AGE="0",
                          PUBLIC_BASE_URL=PUBLIC_BASE_URL)


@pytest.fixture(autouse=True)
def _eventbus(fast_eventbus: dict[str, float]) -> None:
    """Every test here uses the fast event-bus settings."""


@pytest.fixture(autouse=True)
def _public_base_url(settings: Any) -> None:
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL


@pytest.fixture
def plugin_on(db: None) -> None:
    services.set_enabled(PLUGIN, None, True)


@pytest.fixture
def worker(transactional_db: None, campaign_workers: WorkerSupervisor,
           campaign_broker: RedisServer, smtp: SmtpSink) -> WorkerSupervisor:
    """This folder's worker, seeing the test's commits, with the plugin switched on."""
    cache.clear()
    point_celery_at(campaign_broker.url)
    services.set_enabled(PLUGIN, None, True)
    campaign_workers.ensure()
    return campaign_workers


# -- data --------------------------------------------------------------------------------


@pytest.fixture
def tenant(db: None) -> Tenant:
    return Tenant.headquarters()


@pytest.fixture
def make_partner(tenant: Tenant) -> Callable[..., Partner]:
    def make(name: str = "Kovács Éva", email: str | None = None, consent: bool = True,
             **extra: object) -> Partner:
        n = next(_numbers)
        return Partner.objects.create(
            tenant=tenant, name=name, marketing_consent=consent,
            email=f"partner{n}@example.hu" if email is None else email, **extra)
    return make


@pytest.fixture
def make_machine(tenant: Tenant) -> Callable[..., Machine]:
    def make(name: str = "Makita HR2470 fúrókalapács", type: str = "fúrókalapács",
             daily_rate: int = 18000) -> Machine:
        n = next(_numbers)
        return Machine.objects.create(tenant=tenant, name=name, type=type,
                                      serial=f"SN-CAMP-{n}", daily_rate=Decimal(daily_rate))
    return make


@pytest.fixture
def make_rental(tenant: Tenant, make_machine: Callable[..., Machine]) -> Callable[..., Rental]:
    def make(partner: Partner, start: date, end: date, *, machine: Machine | None = None,
             status: str = Rental.Status.COMPLETED,
             returned: date | None = None) -> Rental:
        n = next(_numbers)
        returned_at = None
        if status == Rental.Status.COMPLETED:
            returned_at = timezone.make_aware(datetime.combine(returned or end, time(12)))
        return Rental.objects.create(
            number=f"B-TEST-{n:06d}", tenant=tenant, partner=partner,
            machine=machine or make_machine(), start_date=start, end_date=end,
            status=status, returned_at=returned_at)
    return make
