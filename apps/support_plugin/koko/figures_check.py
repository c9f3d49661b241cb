"""The numbers check: a draft may be sent without a person only if every figure in it
(prices, fees, hours, days, percentages, phone numbers) appears in the cited articles.

A generated draft that invents "8 000 Ft" where the article says "9 000 Ft" is the most
harmful kind of wrong answer, and the easiest to catch mechanically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# "12 000", "1 500", "7:00", "2026", "10%", "1:50", "+36 1 555 0100" -> digit groups.
_NUMBER_RE = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:[.,:]\d+)*")


def figures(text: str) -> set[str]:
    """Normalised numbers in the text: thousands separators removed, 7.00 == 7:00."""
    found = set()
    for match in _NUMBER_RE.finditer(text):
        value = re.sub(r"[ \u00a0\u202f]", "", match.group(0)).replace(".", ":")
        found.add(value.rstrip(":"))
    return found


def unsupported_figures(draft: str, sources: Iterable[str]) -> set[str]:
    """Figures of the draft that none of the source texts contains."""
    allowed: set[str] = set()
    for source in sources:
        allowed |= figures(source)
    return figures(draft) - allowed
