"""Graceful degradation: a disabled plugin causes no outbound call, no queued work and no
error anywhere in the ERP, while the same flow with the plugin on does call out (so the
"zero calls" assertion can fail). `strict_http` fails on any unregistered HTTP call."""

from __future__ import annotations

import pytest
from django.apps import apps

from apps.plugin_manager import health
from apps.plugin_manager.actions import start_action
from apps.plugin_manager.services import set_enabled, update_settings
from apps.plugin_manager.status import HealthStatus
from tests.factories import PartnerFactory, TenantFactory, start_rental

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not apps.is_installed("apps.plugin_manager.eventbus"),
                       reason="the event bus app is not installed"),
]

ALPHA = "https://alpha.example.test"
BETA = "https://beta.example.test"


@pytest.fixture
def configured(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        update_settings("alpha", None, {"base_url": ALPHA, "api_token": "tok-0123456789abcd"})
        update_settings("beta", None, {"endpoint": BETA, "shared_secret": "beta-secret"})


def run_all_deliveries() -> list[str]:
    from apps.plugin_manager.eventbus.models import Delivery
    from apps.plugin_manager.eventbus.outbox.delivery import run_delivery

    for delivery_id in Delivery.objects.order_by("pk").values_list("pk", flat=True):
        run_delivery(delivery_id)
    return list(Delivery.objects.order_by("pk").values_list("subscriber", flat=True))


def erp_activity(django_capture_on_commit_callbacks) -> None:
    """Ordinary counter work that emits partner.* and rental.started events."""
    with django_capture_on_commit_callbacks(execute=False):
        partner = PartnerFactory()
        partner.name = "Kovács Éva"
        partner.save()
        start_rental(partner)
        PartnerFactory(tenant=TenantFactory(slug="franchise-x"))


def test_disabled_plugins_make_no_call_queue_nothing_and_raise_nothing(
    configured, strict_http, django_capture_on_commit_callbacks
) -> None:
    erp_activity(django_capture_on_commit_callbacks)
    subscribers = run_all_deliveries()
    assert "alpha" not in subscribers and "beta" not in subscribers
    assert {s.result.status for s in health.check_all("alpha") + health.check_all("beta")} == {
        HealthStatus.DISABLED
    }
    with pytest.raises(Exception, match="ki van kapcsolva"):
        start_action("alpha", None, "initial_sync")
    assert len(strict_http.calls) == 0


def test_the_same_activity_with_the_plugin_on_calls_out(
    configured, strict_http, django_capture_on_commit_callbacks
) -> None:
    strict_http.post(f"{ALPHA}/partners", json={"ok": True})
    with django_capture_on_commit_callbacks(execute=True):
        set_enabled("alpha", None, True)
    erp_activity(django_capture_on_commit_callbacks)
    subscribers = run_all_deliveries()
    assert subscribers.count("alpha") == 3  # created, updated, created (franchise-x)
    assert "beta" not in subscribers
    assert len(strict_http.calls) == 3
    assert b"Kov\\u00e1cs \\u00c9va" in strict_http.calls[1].request.body or \
        "Kovács Éva".encode() in strict_http.calls[1].request.body


def test_switched_off_after_queueing_means_skipped_not_called(
    configured, strict_http, django_capture_on_commit_callbacks
) -> None:
    from apps.plugin_manager.eventbus.models import Delivery

    with django_capture_on_commit_callbacks(execute=True):
        set_enabled("alpha", None, True)
    with django_capture_on_commit_callbacks(execute=False):
        PartnerFactory()
    assert Delivery.objects.filter(subscriber="alpha").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        set_enabled("alpha", None, False)
    run_all_deliveries()
    assert Delivery.objects.get(subscriber="alpha").status == Delivery.Status.SKIPPED
    assert len(strict_http.calls) == 0


def test_per_tenant_switch_limits_calls_to_that_franchise(
    configured, strict_http, django_capture_on_commit_callbacks
) -> None:
    franchise_a = TenantFactory(slug="franchise-a")
    franchise_b = TenantFactory(slug="franchise-b")
    strict_http.post(f"{ALPHA}/partners", json={"ok": True})
    with django_capture_on_commit_callbacks(execute=True):
        set_enabled("alpha", franchise_a, True)
    with django_capture_on_commit_callbacks(execute=False):
        in_a = PartnerFactory(tenant=franchise_a)
        PartnerFactory(tenant=franchise_b)
    run_all_deliveries()
    assert len(strict_http.calls) == 1
    assert f'"id": {in_a.pk}'.encode() in strict_http.calls[0].request.body
