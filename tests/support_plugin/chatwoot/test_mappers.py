"""Partner -> contact mapping: pure, and never leaks what must stay in the ERP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.support_plugin.chatwoot import mappers
from apps.support_plugin.chatwoot.notifications import format_huf
from apps.support_plugin.chatwoot.partner_stats import PartnerStats
from kgc_erp.partners.models import Partner

STATS = PartnerStats(active_rentals=2, open_worklogs=1, total_spent=Decimal("312000"))


def _partner(**fields: object) -> Partner:
    values = {"pk": 77, "name": "Kovács és Társa Kft.", "phone": "+36301234567",
              "email": "iroda@kovacs.hu", "company": "Kovács és Társa Kft.",
              "tax_number": "12345678-2-42", "payment_status": "late",
              "marketing_consent": True}
    values.update(fields)
    return Partner(**values)


def test_contact_payload_maps_the_agreed_fields() -> None:
    payload = mappers.contact_payload(_partner(), "kgc-hq", STATS)
    assert payload["identifier"] == "77"
    assert payload["phone_number"] == "+36301234567"
    assert payload["custom_attributes"] == {
        "kgc_partner_id": 77, "kgc_tenant": "kgc-hq", "payment_status": "late",
        "active_rentals": 2, "open_worklogs": 1, "total_spent": 312000, "tier": "ezüst",
    }


def test_tax_number_and_consent_never_leave_the_erp() -> None:
    payload = mappers.contact_payload(_partner(), "kgc-hq", STATS)
    text = repr(payload)
    assert "12345678" not in text and "tax" not in text and "marketing" not in text


@pytest.mark.parametrize("phone", ["06301234567", "+36 30 123 4567", "+0123", ""])
def test_non_e164_phone_is_not_sent(phone: str) -> None:
    assert mappers.contact_payload(_partner(phone=phone), "t", STATS)["phone_number"] == ""


def test_lookup_rules_search_identifier_first() -> None:
    assert mappers.lookup_rules(_partner()) == [
        ("identifier", "77"), ("email", "iroda@kovacs.hu"), ("phone_number", "+36301234567")]


@pytest.mark.parametrize(("spent", "tier"), [(0, "alap"), (50_000, "bronz"),
                                             (300_000, "ezüst"), (2_000_000, "arany")])
def test_tiers(spent: int, tier: str) -> None:
    assert mappers.tier_for(Decimal(spent)) == tier


def test_partner_id_from_identifier() -> None:
    assert mappers.partner_id_from_identifier("77") == 77
    assert mappers.partner_id_from_identifier("crm-88123") is None
    assert mappers.partner_id_from_identifier(None) is None


def test_huf_format() -> None:
    assert format_huf(Decimal("1234500")) == "1\u00a0234\u00a0500\u00a0Ft"


@pytest.mark.django_db
def test_partner_stats_count_active_rentals_open_worklogs_and_spend() -> None:
    from apps.support_plugin.chatwoot.partner_stats import partner_stats
    from kgc_erp.rentals.services import return_rental
    from kgc_erp.service.services import change_worklog_status
    from tests.factories import PartnerFactory, TenantFactory, open_worklog, start_rental

    partner = PartnerFactory(tenant=TenantFactory(slug="stats-tenant"))
    assert partner_stats(partner) == PartnerStats(0, 0, Decimal(0))
    start_rental(partner=partner)
    returned = return_rental(start_rental(partner=partner))
    worklog = open_worklog(partner=partner)
    change_worklog_status(worklog, "diagnosztika")
    stats = partner_stats(partner)
    assert stats.active_rentals == 1
    assert stats.open_worklogs == 1
    assert stats.total_spent == returned.total_cost
