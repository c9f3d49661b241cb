"""Hungarian formats of amounts and dates as the e-mails print them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

MONTHS = ("január", "február", "március", "április", "május", "június", "július",
          "augusztus", "szeptember", "október", "november", "december")  # fmt: skip
# A no-break space, so a line break never separates "18" from "000 Ft".
NBSP = "\u00a0"


def format_huf(amount: Decimal | int | float | None) -> str:
    """``18 000 Ft`` (thousands grouped by a no-break space, no decimals)."""
    if amount is None or amount == "":
        return ""
    return f"{round(Decimal(str(amount))):,}".replace(",", NBSP) + f"{NBSP}Ft"


def format_date_hu(value: date | datetime | str | None) -> str:
    """``2026. december 7.``"""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value.year}. {MONTHS[value.month - 1]} {value.day}."


__all__ = ("format_date_hu", "format_huf")
