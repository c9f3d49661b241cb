"""The privacy framework without outside systems: manifest field and subscription, opening
with every plugin off, tombstones, the export ZIP, retention, the partner form guard."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.plugin_manager import services
from apps.plugin_manager.event_types import PRIVACY_STEP_DUE
from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery
from apps.plugin_manager.plugins import PluginAppConfig
from apps.plugin_manager.privacy.export_zip import SUMMARY_NAME, open_zip
from apps.plugin_manager.privacy.models import PrivacyRequest, PrivacyStep, Tombstone
from apps.plugin_manager.privacy.opening import AlreadyOpen, open_request
from apps.plugin_manager.privacy.retention import apply_retention
from apps.plugin_manager.privacy.tombstones import digest, is_tombstoned
from apps.plugin_manager.registry import get_plugin, plugin_problems
from kgc_erp.partners.forms import PartnerAdminForm
from kgc_erp.partners.models import Partner
from tests.factories import PartnerFactory, TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def plugins_off(db: None) -> None:
    for plugin_id in ("support", "crm"):
        services.set_enabled(plugin_id, None, False)


def test_declaring_privacy_handlers_subscribes_the_generic_runner() -> None:
    for plugin_id in ("support", "crm"):
        plugin = get_plugin(plugin_id)
        assert plugin.privacy_handlers
        assert plugin.subscriptions[PRIVACY_STEP_DUE] == (
            "apps.plugin_manager.privacy.runner.run_step")
        assert plugin_problems(plugin) == []


def test_a_malformed_privacy_manifest_is_refused() -> None:
    plugin = get_plugin("crm")
    broken = PluginAppConfig.__new__(type(plugin))
    broken.__dict__.update(plugin.__dict__)
    broken.privacy_handlers = {"erp": "not a path", "Bad Name": "a.b"}
    problems = " ".join(plugin_problems(broken))
    assert "reserved for a built-in" in problems
    assert "is not a dotted path" in problems
    assert "must be a lowercase identifier" in problems


def test_erasure_with_every_plugin_off(plugins_off: None) -> None:
    partner = PartnerFactory(name="Szabó Anna", phone="06 30 555 1234",
                             email="Szabo.Anna@Example.hu")
    request = open_request(partner, PrivacyRequest.Kind.ERASURE, requested_by="maga az ügyfél",
                           channel=PrivacyRequest.Channel.PHONE)
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.DONE
    assert request.identifiers == ""
    steps = {s.system: s for s in request.steps.all()}
    assert steps["erp"].status == PrivacyStep.Status.DONE
    assert steps["erp"].action == PrivacyStep.Action.ANONYMISED
    assert steps["eventbus"].status == PrivacyStep.Status.DONE
    for system in ("chatwoot", "bot_api", "twenty"):
        assert steps[system].status == PrivacyStep.Status.SWITCHED_OFF
        assert steps[system].action == PrivacyStep.Action.SWITCHED_OFF
    partner.refresh_from_db()
    assert partner.phone == "" and partner.email == "" and not partner.is_active
    # Tombstones: any notation finds them; the value itself is not stored.
    assert is_tombstoned(partner.tenant, phone="+36305551234")
    assert is_tombstoned(partner.tenant_id, email=" szabo.anna@example.HU ")
    assert not is_tombstoned(partner.tenant, phone="+36305551235")
    assert not is_tombstoned(TenantFactory(), phone="+36305551234")
    for tombstone in Tombstone.objects.all():
        assert tombstone.digest in {digest("phone", "+36305551234"),
                                    digest("email", "szabo.anna@example.hu")}
    # The deadline: one month after receipt.
    assert (request.deadline - request.received_at).days in (28, 29, 30, 31)


def test_a_second_erasure_of_the_same_partner_is_refused_while_one_runs(db: None) -> None:
    partner = PartnerFactory()
    first = PrivacyRequest.objects.create(tenant=partner.tenant, partner=partner,
                                          kind="erasure", requested_by="x", channel="email",
                                          status=PrivacyRequest.Status.IN_PROGRESS)
    with pytest.raises(AlreadyOpen) as raised:
        open_request(partner, "erasure", requested_by="x", channel="email")
    assert raised.value.request == first


def test_access_request_with_plugins_off_builds_the_zip(plugins_off: None) -> None:
    partner = PartnerFactory(name="Kiss Béla", phone="+36301112233", email="bela@example.hu")
    request = open_request(partner, PrivacyRequest.Kind.ACCESS, requested_by="Kiss Béla",
                           channel=PrivacyRequest.Channel.EMAIL)
    request.refresh_from_db()
    assert request.status == PrivacyRequest.Status.DONE and request.export_available
    assert request.export_expires_at is not None
    assert request.export_expires_at - timezone.now() > timedelta(days=29)
    assert b"bela@example.hu" not in bytes(request.export_file or b"")  # encrypted at rest
    archive = zipfile.ZipFile(io.BytesIO(open_zip(request.export_file or b"")))
    names = set(archive.namelist())
    assert {"erp.json", "eventbus.json", SUMMARY_NAME} <= names
    erp = json.loads(archive.read("erp.json"))
    assert erp["partner"]["email"] == "bela@example.hu"
    assert "Tájékoztatás" in archive.read(SUMMARY_NAME).decode()
    partner.refresh_from_db()
    assert partner.is_active and partner.phone == "+36301112233"  # access changes nothing
    assert not Tombstone.objects.exists()


def test_retention_deletes_old_bodies_errors_and_exports(db: None) -> None:
    tenant = TenantFactory()
    old = timezone.now() - timedelta(days=200)
    inbound = InboundDelivery.objects.create(
        source="x", tenant=tenant, dedupe_key="k", raw_body=b'{"phone": "+36301234567"}',
        verification="ok", status=InboundDelivery.Status.PROCESSED, response_status=200,
        received_at=old, last_error="boom +36301234567")
    request = PrivacyRequest.objects.create(
        tenant=tenant, kind="access", requested_by="x", channel="email",
        export_file=b"x", export_expires_at=timezone.now() - timedelta(days=1))
    counts = apply_retention()
    inbound.refresh_from_db()
    request.refresh_from_db()
    assert bytes(inbound.raw_body) == b"" and inbound.last_error == ""
    assert request.export_file is None
    assert counts["inbox_bodies"] == 1 and counts["export_files"] == 1
    assert Delivery.objects.count() == 0


def test_partner_form_refuses_a_tombstoned_phone_until_confirmed(plugins_off: None) -> None:
    erased = PartnerFactory(phone="+36307778899", email="torolt@example.hu")
    open_request(erased, "erasure", requested_by="ügyfél", channel="email")
    data = {"tenant": erased.tenant_id, "name": "Újra Felvett", "phone": "06 30 777 8899",
            "email": "", "payment_status": Partner.PaymentStatus.GOOD}
    form = PartnerAdminForm(data=data)
    assert not form.is_valid()
    assert "adatvédelmi kérelem alapján" in str(form.errors)
    form = PartnerAdminForm(data={**data, "confirm_contact_guard": "on"})
    assert form.is_valid(), form.errors
    assert form.contact_guard_release is not None
