"""Money as Hungarian counters read it: "18 000 Ft" (non-breaking space groups)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.contrib import admin
from django.db.models import Model
from django.utils.formats import number_format

CURRENCY = "Ft"


def format_huf(amount: Decimal | int | None) -> str:
    """`18000` -> "18 000 Ft"; fillér only when there are any; None -> an en dash."""
    if amount is None:
        return "–"
    value = Decimal(amount)
    decimals = 0 if value == value.to_integral_value() else 2
    # force_grouping: the thousand separator is wanted here even though
    # USE_THOUSAND_SEPARATOR is off for the rest of the site (ids, years).
    grouped = number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return f"{grouped}\u00a0{CURRENCY}"


def amount_column(field: str, description: str) -> Callable[[Model], str]:
    """A list_display column showing `field` as "18 000 Ft", still sortable by it."""

    @admin.display(description=description, ordering=field)
    def column(obj: Model) -> str:
        return format_huf(getattr(obj, field))

    column.__name__ = f"{field}_huf"
    return column
