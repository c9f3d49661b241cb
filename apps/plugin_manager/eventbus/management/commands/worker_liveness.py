"""`manage.py worker_liveness`: exit 1 when work waits in the queue and the worker makes
no progress (see apps.plugin_manager.eventbus.liveness), 0 otherwise, 2 when the broker
cannot be asked. The worker's health check in docker-compose.yml; run by hand it says why.
"""

from __future__ import annotations

from typing import Any

import redis
from django.core.management.base import BaseCommand, CommandParser

from apps.plugin_manager.eventbus import liveness

EXIT_STALLED = 1
EXIT_UNKNOWN = 2


def default_broker_url() -> str:
    from kgc_erp.celery import app

    return str(app.conf.broker_url)


class Command(BaseCommand):
    help = (
        "Exit non-zero when the Celery queue has messages waiting and the worker made no "
        "progress within the stall window (a worker that stays connected but stopped "
        "consuming, celery/celery#8030). Exit 0 when idle or progressing, 2 when the "
        "broker cannot be reached."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", default=liveness.DEFAULT_QUEUE)
        parser.add_argument("--stall-seconds", type=float,
                            default=liveness.DEFAULT_STALL_SECONDS)
        parser.add_argument(
            "--node",
            help="the worker's node name (celery@<host>); default: progress of any node",
        )
        parser.add_argument(
            "--database",
            action="store_true",
            help="also count deliveries / inbound webhooks due for longer than the stall "
            "window plus the sweeper's grace (only if beat runs: else they wait for it)",
        )
        parser.add_argument("--broker-url", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        client = liveness.broker_client(options["broker_url"] or default_broker_url())
        try:
            verdict = liveness.check(
                client,
                queue=options["queue"],
                node=options["node"],
                stall_seconds=options["stall_seconds"],
                count_database=options["database"],
            )
        except redis.RedisError as error:
            self.stderr.write(f"unknown: the broker cannot be asked ({error})")
            raise SystemExit(EXIT_UNKNOWN) from None
        finally:
            client.close()
        self.stdout.write(verdict.describe())
        if not verdict.healthy:
            raise SystemExit(EXIT_STALLED)
