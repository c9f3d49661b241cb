"""The per-tenant token bucket in Redis: a minute's worth at once, then a wait, per tenant."""

from __future__ import annotations

import pytest

from apps.crm_plugin.campaigns import rate_limit
from apps.crm_plugin.campaigns.formatting import format_date_hu, format_huf


def test_bucket_allows_a_minutes_worth_then_asks_to_wait() -> None:
    assert [rate_limit.take(9001, per_minute=3) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = rate_limit.take(9001, per_minute=3)
    assert 0 < wait <= 20.5  # one token per 20 s
    assert rate_limit.take(9002, per_minute=3) == 0.0  # another tenant has its own bucket


@pytest.mark.parametrize(("amount", "text"), [(18000, "18\u00a0000\u00a0Ft"),
                                               (1250000, "1\u00a0250\u00a0000\u00a0Ft"),
                                               (900, "900\u00a0Ft")])
def test_hungarian_amounts(amount: int, text: str) -> None:
    assert format_huf(amount) == text


def test_hungarian_dates() -> None:
    from datetime import date

    assert format_date_hu(date(2026, 12, 7)) == "2026. december 7."
    assert format_date_hu("2026-01-15") == "2026. január 15."
