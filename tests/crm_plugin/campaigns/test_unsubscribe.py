"""Unsubscribe: a signed, expiring token naming one partner and campaign; the page (GET
confirm, POST with CSRF) and the RFC 8058 one-click POST (no session, no CSRF token) each
clear the consent once, through the core service, with a ConsentChange row."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from apps.crm_plugin.campaigns.models import Campaign, CampaignKind
from apps.crm_plugin.campaigns.queueing import run_campaign
from apps.crm_plugin.campaigns.selection import months_before
from apps.crm_plugin.campaigns.unsubscribe import (
    MAX_AGE,
    make_token,
    read_token,
    unsubscribe_links,
)
from kgc_erp.partners.models import ConsentChange, Partner
from kgc_erp.rentals.models import Rental

from .conftest import PUBLIC_BASE_URL

pytestmark = pytest.mark.usefixtures("plugin_on")
ONE_CLICK_BODY = "List-Unsubscribe=One-Click"


def _path(url: str) -> str:
    assert url.startswith(PUBLIC_BASE_URL + "/")
    return url[len(PUBLIC_BASE_URL):]


def _one_click(url: str) -> object:
    # Like a mail provider: no cookies, no CSRF token, CSRF checks enforced.
    return Client(enforce_csrf_checks=True).post(
        _path(url), data=ONE_CLICK_BODY, content_type="application/x-www-form-urlencoded")


def test_links_carry_no_address_or_name(make_partner: Callable[..., Partner]) -> None:
    partner = make_partner("Nagy Ödön", email="nagy.odon@example.hu")
    links = unsubscribe_links(partner.pk, CampaignKind.WIN_BACK)
    for url in (links.page, links.one_click):
        assert url.startswith("https://")
        assert "nagy" not in url.lower() and "example.hu" not in url and "Ödön" not in url


def test_one_click_without_session_or_csrf_works_once_for_that_partner_only(
        make_partner: Callable[..., Partner]) -> None:
    partner = make_partner()
    other = make_partner()
    url = unsubscribe_links(partner.pk, CampaignKind.WIN_BACK).one_click

    response = _one_click(url)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Sikeresen leiratkozott" in response.content.decode()  # type: ignore[attr-defined]
    partner.refresh_from_db()
    other.refresh_from_db()
    assert partner.marketing_consent is False and other.marketing_consent is True
    change = ConsentChange.objects.get(partner=partner)
    assert (change.marketing_consent, change.source) == (False, "one_click:win_back")

    again = _one_click(url)
    assert again.status_code == 200  # type: ignore[attr-defined]
    assert "már leiratkozott" in again.content.decode()  # type: ignore[attr-defined]
    assert ConsentChange.objects.filter(partner=partner).count() == 1


def test_page_asks_first_then_withdraws_with_csrf(make_partner: Callable[..., Partner]) -> None:
    partner = make_partner()
    path = _path(unsubscribe_links(partner.pk, CampaignKind.UPSELL).page)
    client = Client(enforce_csrf_checks=True)

    page = client.get(path)
    assert page.status_code == 200
    assert "Leiratkozom" in page.content.decode()
    partner.refresh_from_db()
    assert partner.marketing_consent is True  # a GET (a link scanner) changes nothing

    assert client.post(path).status_code == 403  # the page's own POST keeps CSRF
    token = page.cookies["csrftoken"].value
    done = client.post(path, {"csrfmiddlewaretoken": token})
    assert done.status_code == 200 and "Sikeresen leiratkozott" in done.content.decode()
    partner.refresh_from_db()
    assert partner.marketing_consent is False
    assert ConsentChange.objects.get(partner=partner).source == "unsubscribe_page:upsell"


def test_forged_or_expired_token_gets_a_hungarian_400(
        make_partner: Callable[..., Partner]) -> None:
    partner = make_partner()
    url = unsubscribe_links(partner.pk, CampaignKind.WIN_BACK).one_click
    token = url.rstrip("/").split("/")[-2]
    forged = url.replace(token, make_token(partner.pk + 1, "win_back")[:-3] + "AAA")
    response = _one_click(forged)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "érvénytelen" in response.content.decode()  # type: ignore[attr-defined]

    issued = time.time() - MAX_AGE.total_seconds() - 60
    with mock.patch("django.core.signing.time.time", return_value=issued):
        old = unsubscribe_links(partner.pk, CampaignKind.WIN_BACK)
    for response in (_one_click(old.one_click), Client().get(_path(old.page))):
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert "lejárt" in response.content.decode()  # type: ignore[attr-defined]
    partner.refresh_from_db()
    assert partner.marketing_consent is True


def test_after_unsubscribing_no_more_marketing(
        make_partner: Callable[..., Partner], make_rental: Callable[..., Rental]) -> None:
    today = timezone.localdate()
    partner = make_partner()
    start = months_before(today, 8)
    make_rental(partner, start, start + timedelta(days=1))
    _one_click(unsubscribe_links(partner.pk, CampaignKind.WIN_BACK).one_click)

    run = run_campaign(Campaign.objects.get(kind=CampaignKind.WIN_BACK), today)
    assert (run.selected, run.queued, run.skipped_no_consent) == (1, 0, 1)


def test_token_is_exactly_djangos_timestamp_signer(settings: Any) -> None:
    """make_token keeps its keyed HMAC between e-mails: the same bytes as Django's signer,
    also after the secret changes."""
    from django.core import signing

    from apps.crm_plugin.campaigns.unsubscribe import SALT

    for secret in ("első-kulcs", "második-kulcs"):
        settings.SECRET_KEY = secret
        with mock.patch("time.time", return_value=1_796_000_123.7):
            ours = make_token(4321, "win_back")
            djangos = signing.TimestampSigner(salt=SALT).sign("4321.win_back")
        assert ours == djangos
        assert read_token(ours, max_age=timedelta(days=36_500)).partner_id == 4321
