"""Event handler of the beta test plugin."""

from __future__ import annotations

from typing import Any

import requests


def notify(context: Any) -> None:
    settings = context.settings
    response = requests.post(
        f"{settings['endpoint']}/notify",
        json={"plugin": context.plugin_id, "delivery": context.delivery_id},
        headers={"X-Beta-Secret": str(settings.get("shared_secret") or "")},
        timeout=float(settings["timeout_seconds"]),
    )
    response.raise_for_status()
