"""Helpers of the bot API tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from django.utils import timezone


class BotClient:
    """A Django test client that sends `Authorization: Bearer <key>`."""

    def __init__(self, raw_key: str | None) -> None:
        self.client = Client()
        self.raw_key = raw_key

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        headers = dict(extra)
        if self.raw_key is not None:
            headers.setdefault("Authorization", f"Bearer {self.raw_key}")
        return headers

    def get(self, path: str, data: dict[str, str] | None = None, **headers: str) -> Any:
        return self.client.get(path, data, headers=self._headers(headers))

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(path, body, content_type="application/json",
                                headers=self._headers(headers))


def next_weekday(weekday: int, hour: int, minute: int = 0, weeks_ahead: int = 1) -> dt.datetime:
    """A local datetime on `weekday` (Monday = 0) at least a week from now."""
    today = timezone.localdate()
    day = today + dt.timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks_ahead)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))
