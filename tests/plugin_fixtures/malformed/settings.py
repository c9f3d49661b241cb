"""Test settings plus the malformed plugin: booting with these must fail loudly."""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.plugin_fixtures.malformed"]
