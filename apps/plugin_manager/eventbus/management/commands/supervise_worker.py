"""`manage.py supervise_worker [options] -- <celery worker command>`: run a Celery worker
and restart it when it exits or stops consuming (apps.plugin_manager.eventbus.
worker_supervisor). What `make run` and the docker-compose worker service run.

    python manage.py supervise_worker --interval 30 --stall-seconds 60 -- \
        celery -A kgc_erp worker -l info -c 4

The node name is given to the worker here (`-n`, default celery@<hostname>, Celery's own
default) so the check looks at this worker's progress, not another's.
"""

from __future__ import annotations

import signal
import socket
import sys
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.plugin_manager.eventbus import liveness
from apps.plugin_manager.eventbus.worker_supervisor import LivenessSupervisor, WorkerProcess


class Command(BaseCommand):
    help = "Run a Celery worker and restart it when it exits or stops consuming."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queue", default=liveness.DEFAULT_QUEUE)
        parser.add_argument("--stall-seconds", type=float,
                            default=liveness.DEFAULT_STALL_SECONDS)
        parser.add_argument("--interval", type=float, default=30.0,
                            help="seconds between two checks")
        parser.add_argument("--failures", type=int, default=2,
                            help="failed checks in a row before a restart")
        parser.add_argument("--start-grace", type=float, default=60.0,
                            help="seconds after a (re)start before the worker is judged")
        parser.add_argument("--node", default=f"celery@{socket.gethostname()}")
        parser.add_argument("worker", nargs="+", help="the worker command, after --")

    def handle(self, *args: Any, **options: Any) -> None:
        from kgc_erp.celery import app

        command = [part for part in options["worker"] if part != "--"]
        if not command:
            raise CommandError("give the worker command after --")
        node = options["node"]
        worker = WorkerProcess([*command, "-n", node])
        broker_url = str(app.conf.broker_url)

        def check() -> liveness.Verdict:
            client = liveness.broker_client(broker_url)
            try:
                return liveness.check(client, queue=options["queue"], node=node,
                                      stall_seconds=options["stall_seconds"])
            finally:
                client.close()

        supervisor = LivenessSupervisor(worker, check, interval=options["interval"],
                                        failures_to_restart=options["failures"],
                                        start_grace=options["start_grace"])

        def terminate(signum: int, _frame: FrameType | None) -> None:
            raise SystemExit(128 + signum)

        # docker stop / Ctrl-C / the devstack: stop the worker (warm shutdown), then exit.
        signal.signal(signal.SIGTERM, terminate)
        signal.signal(signal.SIGINT, terminate)
        self.stdout.write(f"supervising worker {node}: check every {options['interval']}s, "
                          f"stall window {options['stall_seconds']}s")
        supervisor.start_worker()
        try:
            supervisor.run()
        finally:
            worker.stop()
            sys.stdout.flush()
