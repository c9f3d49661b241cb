"""The admin speaks Hungarian only: no English leftovers, whatever the browser asks for."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.admin_english_leftovers import ENGLISH_LEFTOVERS
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = (
    ("admin:index", {}),
    ("admin:partners_partner_changelist", {}),
    ("admin:partners_partner_changelist", {"q": "nincs-ilyen-partner"}),  # empty result
    ("admin:partners_partner_add", {}),
    ("admin:django_celery_beat_periodictask_changelist", {}),
    ("admin:django_celery_beat_periodictask_add", {}),
    ("admin:django_celery_beat_crontabschedule_changelist", {}),
    ("admin:django_celery_beat_intervalschedule_changelist", {}),
)


def leftovers(page_text: str) -> list[str]:
    """The leftovers shown as words: `readableCrontabs` in a script is no label."""
    text = html.unescape(page_text)
    return [
        phrase
        for phrase in ENGLISH_LEFTOVERS
        if re.search(rf"(?<![A-Za-z]){re.escape(phrase)}(?![A-Za-z])", text)
    ]


@pytest.mark.parametrize(("url_name", "query"), ADMIN_PAGES)
def test_admin_pages_have_no_english_leftovers(
    admin_client: Client, url_name: str, query: dict[str, str]
) -> None:
    partner = PartnerFactory(name="Kovács Anna")
    page = admin_client.get(reverse(url_name), query, headers={"accept-language": "en"})
    assert page.status_code == 200
    assert leftovers(page.text) == []
    change = admin_client.get(reverse("admin:partners_partner_change", args=[partner.pk]))
    assert leftovers(change.text) == []


def test_login_page_is_hungarian_for_an_english_browser(client: Client) -> None:
    page = client.get(reverse("admin:login"), headers={"accept-language": "en"})
    text = html.unescape(page.text)
    assert page.status_code == 200
    assert 'lang="hu"' in text
    assert "Üdvözöljük újra itt:" in text
    assert "Bejelentkezés" in text
    assert leftovers(page.text) == []


def test_login_errors_are_hungarian_for_an_english_browser(client: Client) -> None:
    page = client.post(
        reverse("admin:login"),
        {"username": "nincs", "password": "rossz"},
        headers={"accept-language": "en-US,en;q=0.9"},
    )
    text = html.unescape(page.text)
    assert "Please enter the correct" not in text
    assert "Adja meg egy adminisztrációra jogosult" in text
    assert leftovers(page.text) == []
