"""The check that none of the English strings once seen in the Hungarian admin is on a
browser page (hidden menus and templates count)."""

from __future__ import annotations

from collections.abc import Iterable

from playwright.sync_api import Page

from tests.admin_english_leftovers import ENGLISH_LEFTOVERS

# The one list of English once seen in the admin (the server-side page tests use it too).
LEFTOVERS: tuple[str, ...] = ENGLISH_LEFTOVERS


def english_on_page(page: Page, strings: Iterable[str] = LEFTOVERS) -> list[str]:
    """The given strings found in the page's HTML (hidden menus and templates count: they
    are shown on a click)."""
    html = page.content()
    return [text for text in strings if text in html]


def assert_no_english(page: Page, strings: Iterable[str] = LEFTOVERS) -> None:
    """Fail on any leftover English string."""
    found = english_on_page(page, strings)
    assert not found, f"English text on {page.url}: {found}"
