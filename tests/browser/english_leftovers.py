"""English strings known to have survived in the Hungarian admin (unfold's and
django-celery-beat's own texts), and the check that none of them is on a page.

Another engineer translates them; `STILL_ENGLISH` lists the ones verified to be still
English on this branch. The page tests check the others (a translated string that comes
back fails them); test_english_leftovers.py checks these one by one as non-strict xfails,
so the suite turns green by itself when the translations merge: then empty the set.
"""

from __future__ import annotations

from collections.abc import Iterable

from playwright.sync_api import Page

LEFTOVERS: tuple[str, ...] = (
    "Welcome back to",
    "Return to site",
    "Select value",
    "Select action",
    "Type to search",
    "No results found",
    "Reset filters",
    "Periodic Tasks",
    "Clocked",
    "Crontabs",
    "Intervals",
    "Solar events",
)

# Verified on this branch (browser run over the login page, the index, a changelist and
# an add form): every one of them is still English. Remove each as its translation lands.
STILL_ENGLISH: frozenset[str] = frozenset(LEFTOVERS)


def english_on_page(page: Page, strings: Iterable[str] = LEFTOVERS) -> list[str]:
    """The given strings found in the page's HTML (hidden menus and templates count: they
    are shown on a click)."""
    html = page.content()
    return [text for text in strings if text in html]


def assert_no_english(page: Page, strings: Iterable[str] | None = None) -> None:
    """Fail on any leftover English string (by default: the ones translated already)."""
    if strings is None:
        strings = [text for text in LEFTOVERS if text not in STILL_ENGLISH]
    found = english_on_page(page, strings)
    assert not found, f"English text on {page.url}: {found}"
