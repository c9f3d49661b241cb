"""Helpers of the event bus tests."""

from __future__ import annotations

from apps.plugin_manager import services

# The event bus tests run with 3-second leases (the suite's fast settings have 5): a test
# moves the clock past one, and the fault tests' workers take over a killed worker's rows.
SHORT_LEASE_SECONDS = 3


def enable_gamma(target_url: str, **extra: object) -> None:
    """Switch the gamma test plugin on globally, through the plugin manager's services."""
    services.update_settings("gamma", None, {"target_url": target_url, **extra})
    services.set_enabled("gamma", None, True)
