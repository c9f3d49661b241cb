"""No English leftovers on the pages counter staff use most: the login page, the index
with the sidebar, a changelist with filters and actions, an add form.

One test per string, so each turns green by itself when its translation merges. The pages
are fetched once per module by `pages_html`, and the tests themselves touch neither the
browser nor the database: they stay plain (non-transactional) tests, so they cost no
flush and no restore of the migrated rows each. That is why the live server is requested
lazily: a test naming it would be made transactional by pytest-django.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from playwright.sync_api import Browser

from .admin_pages import log_in_by_cookie
from .chromium import DEFAULT_TIMEOUT_MS, ConsoleLog
from .english_leftovers import LEFTOVERS

PAGES = ("/admin/login/", "/admin/", "/admin/partners/partner/", "/admin/partners/partner/add/")
CHECK_USER = "leftover-check"


@pytest.fixture(scope="module")
def pages_html(
    request: pytest.FixtureRequest, browser: Browser, django_db_setup: None,
    django_db_blocker: pytest.FixtureRequest,
) -> Iterator[dict[str, str]]:  # fmt: skip
    """Path -> HTML of each page, as a superuser sees it (the login page: logged out).

    Runs outside any test's transaction, so it removes the user and session it made."""
    base_url = str(request.getfixturevalue("live_server").url)
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        user = get_user_model().objects.create_superuser(CHECK_USER, "check@example.com")
        context = browser.new_context(locale="hu-HU")
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        try:
            page = context.new_page()
            console = ConsoleLog()
            console.attach(page)
            page.goto(f"{base_url}/admin/login/")
            html = {"/admin/login/": page.content()}
            log_in_by_cookie(page, base_url, user)
            for path in PAGES[1:]:
                page.goto(base_url + path)
                assert not page.url.startswith(f"{base_url}/admin/login/"), page.url
                html[path] = page.content()
            assert not console.errors, console.errors
            yield html
        finally:
            context.close()
            Session.objects.all().delete()  # only this fixture's: no test is running
            user.delete()


@pytest.mark.parametrize("text", LEFTOVERS)
def test_no_english_leftover(pages_html: dict[str, str], text: str) -> None:
    found = [path for path, html in pages_html.items() if text in html]
    assert not found, f"{text!r} is still English on {found}"
