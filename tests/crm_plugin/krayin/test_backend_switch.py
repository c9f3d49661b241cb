"""Switching a tenant's CRM backend from Twenty to Krayin and back: every event is
handled by exactly one backend (the one selected when its delivery runs), nothing is lost
and nothing is duplicated."""

from __future__ import annotations

import pytest

from apps.crm_plugin.twenty.mappers import kgc_partner_id
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Delivery
from tests.crm_plugin.twenty.conftest import (  # noqa: F401 - the Twenty sandbox fixtures
    enable_crm,
    twenty,
    twenty_server,
    workspace,
)
from tests.crm_plugin.twenty.helpers import rows as twenty_rows
from tests.factories import PartnerFactory, headquarters
from tests.infrastructure.waiting import wait_for

from .helpers import (
    EMAIL,
    PASSWORD,
    all_crm_deliveries_finished,
    crm_deliveries,
    person_of,
    persons,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _twenty_people(handle, partner_pk: int) -> list[dict]:
    key = kgc_partner_id(partner_pk)
    return [p for p in twenty_rows(handle, "person", deleted=None) if p.get("kgcPartnerId") == key]


def _settled(count: int) -> bool:
    return len(crm_deliveries()) >= count and all_crm_deliveries_finished()


def test_switching_to_krayin_and_back_loses_and_duplicates_nothing(
    worker, workspace, krayin, enable_crm, settings  # noqa: F811
) -> None:
    settings.CRM_SYNC_ON_ENABLE = False
    enable_crm(workspace)  # Twenty for everyone (global scope)
    hq = headquarters()
    services.update_settings("crm", hq, {"krayin_api_url": krayin.api_url,
                                         "krayin_email": EMAIL, "krayin_password": PASSWORD})

    partner = PartnerFactory(name="Váltó Vilma", email="vilma@example.hu")
    wait_for(lambda: _settled(1), message="the Twenty delivery")
    assert len(_twenty_people(workspace, partner.pk)) == 1 and persons(krayin) == []

    services.update_settings("crm", hq, {"crm_backend": "krayin"})
    partner.email = "vilma.uj@example.hu"
    partner.save()
    wait_for(lambda: _settled(2), message="the Krayin delivery")
    person = person_of(krayin, partner.pk)
    assert person is not None and person["emails"][0]["value"] == "vilma.uj@example.hu"
    # Not also sent to Twenty: its person still has the old address.
    (twenty_person,) = _twenty_people(workspace, partner.pk)
    assert twenty_person["emails"]["primaryEmail"] == "vilma@example.hu"

    services.update_settings("crm", hq, {"crm_backend": "twenty"})
    partner.name = "Váltó Vilma Anna"
    partner.save()
    wait_for(lambda: _settled(3), message="the Twenty delivery after switching back")
    (twenty_person,) = _twenty_people(workspace, partner.pk)  # updated, not duplicated
    assert twenty_person["emails"]["primaryEmail"] == "vilma.uj@example.hu"
    assert twenty_person["name"]["lastName"] == "Váltó"
    assert len(persons(krayin)) == 1
    assert (person_of(krayin, partner.pk) or {}).get("name") == "Váltó Vilma"  # untouched
    assert {d.status for d in crm_deliveries()} == {Delivery.Status.SUCCEEDED}
