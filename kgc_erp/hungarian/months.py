"""Hungarian month names are written in lower case ("december 6.")."""

from __future__ import annotations

MONTHS = (
    "január", "február", "március", "április", "május", "június",
    "július", "augusztus", "szeptember", "október", "november", "december",
)  # fmt: skip


def lower_month_names(text: str) -> str:
    """Undo a capitalised month name (Django's date drill-down runs capfirst on it)."""
    for month in MONTHS:
        text = text.replace(month.capitalize(), month)
    return text
