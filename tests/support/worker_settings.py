"""Settings of the Celery worker the Chatwoot tests start: the test settings with a short
Chatwoot read timeout, so a simulated hang times out in a second instead of ten."""

from tests.settings import *  # noqa: F403

CHATWOOT_READ_TIMEOUT_SECONDS = 1.0
