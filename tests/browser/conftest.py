"""Fixtures of the browser tests: pytest-django's live server (static files come from
the finders through its StaticFilesHandler, so no collectstatic), one headless Chromium
for the session, a fresh page per test that fails the test on any console error, and a
logged-in admin page.

Every test here runs against committed data (the live server is another thread), with the
fast event bus publishing to the session's private broker.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from playwright.sync_api import Browser, Page, sync_playwright

from devstack.chromium import chromium_path, missing_message

from .admin_pages import log_in_by_cookie
from .chromium import DEFAULT_TIMEOUT_MS, ConsoleLog, launch


@pytest.fixture(autouse=True)
def _eventbus(fast_eventbus: dict[str, float]) -> None:
    """Events the pages cause go to the private broker, never the stack's Redis."""


def _carry_serialized_contents(outside: dict[str, BaseDatabaseWrapper]) -> None:
    """Django's connections are context-local: inside Playwright's loop the tests get new
    connection objects, without the snapshot of the migrated rows that serialized rollback
    restores after each flush (the headquarters tenant, beat schedules). Hand it over."""
    for alias, wrapper in outside.items():
        contents = getattr(wrapper, "_test_serialized_contents", None)
        if contents is not None:
            connections[alias]._test_serialized_contents = contents  # type: ignore[attr-defined]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for this folder's tests (package scope: closed before other tests).

    Playwright's sync API keeps an asyncio loop running in this thread while it is open,
    so Django's async-safety check would refuse every ORM call of the tests; they are
    plain synchronous code, hence DJANGO_ALLOW_ASYNC_UNSAFE for exactly that span.
    """
    executable = chromium_path()
    if executable is None:
        # A failure, not a skip: CI must run these (make test installs Chromium as root).
        pytest.fail(missing_message(), pytrace=False)
    outside = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        _carry_serialized_contents(outside)
        browser = launch(playwright, str(executable))
        yield browser
        browser.close()
        # The connections opened in here are this context's own: close them, or the test
        # database cannot be dropped at the end of the session ("being accessed").
        connections.close_all()


@pytest.fixture
def base_url(live_server: object) -> str:
    return str(live_server.url)  # type: ignore[attr-defined]


CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Page]:
    """A page in a fresh context (no cookies); any console error fails the test (at
    teardown, unless the test failed already: an expected failure's 404 is no news)."""
    context = browser.new_context(locale="hu-HU", timezone_id="Europe/Budapest")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    console = ConsoleLog()
    console.attach(page)
    yield page
    context.close()
    call = request.node.stash.get(CALL_REPORT, None)
    if console.errors and call is not None and call.passed:
        pytest.fail("console errors:\n" + "\n".join(console.errors), pytrace=False)


@pytest.fixture
def admin_page(page: Page, base_url: str, admin_user: AbstractBaseUser) -> Page:
    """The page, logged in as a superuser and on the admin index."""
    log_in_by_cookie(page, base_url, admin_user)
    page.goto(f"{base_url}/admin/")
    return page
