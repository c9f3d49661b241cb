"""The CRM switched on by the environment alone (no admin toggle, no command) against a
fresh Twenty workspace: the schema bootstrap, the plugin's setup step, runs before the
first delivery, every partner arrives, and deliveries that died of the missing schema
before are retried once it exists."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from apps.plugin_manager.eventbus.errors import SETUP_PENDING_PREFIX
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.models import PluginSetup
from apps.plugin_manager.setup_steps import run_setup
from tests.factories import PartnerFactory
from tests.infrastructure.broker import point_celery_at
from tests.infrastructure.processes import RedisServer, WorkerSupervisor
from tests.infrastructure.waiting import wait_for
from tests.infrastructure.workers import SHARED_WORKER_SETTINGS

from .helpers import API_KEY, control, rows

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def env_enabled_crm(twenty, settings, redis_factory: Callable[[], RedisServer],
                    worker_factory: Callable[..., WorkerSupervisor]) -> Iterator[WorkerSupervisor]:
    """CRM_MODULE_ENABLED and the Twenty settings as the environment gives them, in this
    process and in a worker of its own (on a broker of its own: the shared worker has the
    CRM off and would skip these deliveries)."""
    env = {"CRM_MODULE_ENABLED": "true", "CRM_API_URL": twenty.url, "CRM_API_KEY": API_KEY,
           "CRM_RATE_LIMIT_PER_MINUTE": "100000"}
    settings.CRM_MODULE_ENABLED = True
    settings.CRM_API_URL = twenty.url
    settings.CRM_API_KEY = API_KEY
    settings.CRM_RATE_LIMIT_PER_MINUTE = 100_000
    broker = redis_factory()
    point_celery_at(broker.url)
    worker = worker_factory(broker, **SHARED_WORKER_SETTINGS, **env)
    worker.ensure()
    yield worker
    worker.stop()
    broker.kill()


def test_every_partner_arrives_in_a_fresh_workspace(twenty, env_enabled_crm) -> None:
    assert control(twenty, "GET", "state")["customModel"]["customObjects"] == []
    partners = PartnerFactory.create_batch(5)
    wanted = {f"KGC-{p.pk:06d}" for p in partners}
    wait_for(lambda: wanted <= {p.get("kgcPartnerId") for p in rows(twenty, "person")},
             timeout=60, message="every partner in Twenty")
    state = control(twenty, "GET", "state")
    assert set(state["customModel"]["customObjects"]) == {"rentalRecord", "serviceRecord",
                                                          "salesRecord"}
    assert PluginSetup.objects.get(plugin_id="crm").completed_at is not None
    delivered = Delivery.objects.filter(subscriber="crm")
    assert delivered.count() == 5
    # The person is in Twenty a moment before the worker records the outcome.
    wait_for(lambda: set(delivered.values_list("status", flat=True)) == {Delivery.Status.SUCCEEDED},
             timeout=30, message="every delivery recorded as succeeded")
    assert all(d.attempts == 1 for d in delivered)  # waiting used no attempt


def test_deliveries_dead_of_the_missing_schema_are_retried_after_it(twenty, settings) -> None:
    settings.CRM_MODULE_ENABLED = True
    settings.CRM_API_URL = twenty.url
    settings.CRM_API_KEY = API_KEY
    partner = PartnerFactory()
    delivery = Delivery.objects.get(subscriber="crm", object_id=str(partner.pk))
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.DEAD,
        last_error=SETUP_PENDING_PREFIX + 'Cannot query field "kgcPartnerId" on type "Person".',
    )
    summary = run_setup("crm", None)
    assert summary.startswith("Létrehozva:")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Delivery.Status.PENDING, 0)
