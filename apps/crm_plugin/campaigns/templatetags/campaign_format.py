"""Template filters `huf` and `hudate` for the campaign e-mails."""

from __future__ import annotations

from django import template

from ..formatting import format_date_hu, format_huf

register = template.Library()
register.filter("huf", format_huf)
register.filter("hudate", format_date_hu)
