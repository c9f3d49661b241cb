"""`range=start-end` paging shared by lists and searches, and its Content-Range form."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sandboxes.glpi import errors

_RANGE = re.compile(r"^\s*(\d+)-(\d+)\s*$")


@dataclass(frozen=True)
class Page:
    start: int
    end: int

    @property
    def size(self) -> int:
        return self.end - self.start + 1


def parse_range(text: str | None, list_limit: int) -> Page:
    """Default page = the session's `list_limit` (15 on a default install), not 50."""
    if text is None:
        return Page(0, list_limit - 1)
    match = _RANGE.match(text)
    if match is None:
        raise errors.range_format()
    start, end = int(match.group(1)), int(match.group(2))
    if end < start:
        raise errors.range_format()
    return Page(start, end)


def check_start(page: Page, total: int) -> None:
    if page.start > total:
        raise errors.range_exceed_total(total)


def content_range(page: Page, count: int, total: int) -> str:
    """`0-1/37`; with nothing found GLPI prints `0--1/0` (end = start + count - 1)."""
    return f"{page.start}-{page.start + count - 1}/{total}"
