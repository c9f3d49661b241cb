"""Settings of the bot API benchmark's server: the project's settings plus a URLconf that
adds the minimal baseline views (bench/bot_api_urls.py). Used only by the benchmark."""

from kgc_erp.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bot_api_urls"
