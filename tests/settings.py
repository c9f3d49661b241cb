"""Test settings: the real settings plus two small test plugins used to exercise discovery,
toggling and delivery through the real plugin manager."""

from kgc_erp.settings import *  # noqa: F403
from kgc_erp.settings import INSTALLED_APPS

INSTALLED_APPS = [
    *INSTALLED_APPS,
    "tests.plugin_fixtures.alpha",
    "tests.plugin_fixtures.beta",
    # The event bus's delivery and inbox test plugin (starts switched off).
    "tests.plugin_fixtures.gamma",
]

# The alpha test plugin's env flag (off: test plugins must not receive other tests' events).
ALPHA_MODULE_ENABLED = False
