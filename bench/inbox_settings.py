"""Settings of the inbox benchmark's server: the test settings (with the gamma test plugin
and its Chatwoot-format source) plus a URLconf that adds a bare view for comparison."""

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "bench.inbox_urls"
DEBUG = False
LOGGING = {  # the refusals are part of the load; do not time the console
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": "ERROR"},
}
