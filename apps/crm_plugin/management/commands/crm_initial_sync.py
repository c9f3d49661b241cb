"""Initial sync to Twenty with a progress bar; --resume continues an interrupted run."""

from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.crm_plugin.models import SyncRun
from apps.crm_plugin.twenty.errors import TwentyError
from apps.crm_plugin.twenty.initial_sync import resumable_run, run_sync, start_run
from apps.crm_plugin.twenty.tasks import global_client


class Command(BaseCommand):
    help = "Sync all active partners and 12 months of history to Twenty (batches of 60)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--resume", action="store_true",
                            help="continue the latest unfinished run from its checkpoint")

    def handle(self, *args: Any, **options: Any) -> None:
        run = resumable_run() if options["resume"] else None
        if options["resume"] and run is None:
            self.stdout.write("nothing to resume; starting a new run")
        if run is None:
            run = start_run()
        # The wrapped stream itself (OutputWrapper.write would add a newline to each frame);
        # django-stubs only know `_out` through `OutputWrapper.__getattr__`, as a callable.
        stream = cast("TextIO", self.stderr._out)
        bar = tqdm(total=run.total, initial=run.done, unit="rec", file=stream)

        def progress(current: SyncRun) -> None:
            bar.n = current.done
            bar.set_postfix(phase=current.phase, calls=current.calls, refresh=False)
            bar.refresh()

        try:
            with global_client() as client:
                run = run_sync(client, run, progress=progress)
        except KeyboardInterrupt as exc:
            raise CommandError(f"interrupted; resume with --resume (run #{run.pk})") from exc
        except TwentyError as exc:
            raise CommandError(
                f"Twenty: {exc.message}; resume with --resume (run #{run.pk})"
            ) from exc
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(
            f"run #{run.pk}: {run.records_sent} records in {run.calls} calls"
        ))  # fmt: skip
