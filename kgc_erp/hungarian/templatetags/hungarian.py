"""Template filters of the Hungarian admin wording."""

from __future__ import annotations

from django import template

from ..months import lower_month_names

register = template.Library()


@register.filter(name="lower_month_names")
def lower_month_names_filter(value: object) -> str:
    return lower_month_names(str(value))
