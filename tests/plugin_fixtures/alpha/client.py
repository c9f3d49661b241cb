"""HTTP calls of the alpha test plugin (requests, so `responses` can see every call)."""

from __future__ import annotations

from collections.abc import Mapping

import requests

TIMEOUT_SECONDS = 5.0


def _headers(settings: Mapping[str, object]) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings['api_token']}"}


def get_health(settings: Mapping[str, object], timeout: float = TIMEOUT_SECONDS) -> dict:
    response = requests.get(f"{settings['base_url']}/health", headers=_headers(settings),
                            timeout=timeout)
    response.raise_for_status()
    return response.json()


def push_partner(settings: Mapping[str, object], payload: Mapping[str, object]) -> None:
    response = requests.post(f"{settings['base_url']}/partners", json=dict(payload),
                             headers=_headers(settings), timeout=TIMEOUT_SECONDS)
    response.raise_for_status()
