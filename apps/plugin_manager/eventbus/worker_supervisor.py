"""Keeps a Celery worker consuming: restarts it when it exits or when the liveness check
(`apps.plugin_manager.eventbus.liveness`) finds it stalled.

One loop, used in three places: `manage.py supervise_worker` (what `make run` and the
docker-compose worker run), and the fault tests, which wrap their own worker in it. The
worker is anything with `start`, `running` and `stop` (`WorkerProcess` below is the real
one), the check anything returning a `Verdict`, so the tests can supervise their worker
without a second copy of this logic.

A stall is acted on after `failures_to_restart` failed checks in a row, not the first: the
check samples the queue, and a sample taken between a publish and the worker's receipt of
it must not cost a restart. A check that cannot run (broker unreachable) counts neither
way: restarting the worker does not bring a broker back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from apps.plugin_manager.eventbus.liveness import Verdict

logger = logging.getLogger("kgc.eventbus.worker_supervisor")


class Worker(Protocol):
    def start(self) -> object: ...
    def running(self) -> bool: ...
    def stop(self) -> None: ...


@dataclass
class Restart:
    reason: str
    verdict: Verdict | None


@dataclass
class LivenessSupervisor:
    worker: Worker
    check: Callable[[], Verdict]
    interval: float = 30.0
    failures_to_restart: int = 2
    # Seconds after a (re)start in which the worker is not judged: a fresh worker needs a
    # moment to connect and take its first message (and so to write its first token).
    start_grace: float = 0.0
    restarts: list[Restart] = field(default_factory=list)
    _failures: int = 0
    _judge_after: float = 0.0
    _stopping: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def tick(self) -> Restart | None:
        """One round: restart the worker if it exited or is stalled; returns the restart."""
        if not self.worker.running():
            return self._restart("the worker process exited", None)
        if time.monotonic() < self._judge_after:
            return None
        try:
            verdict = self.check()
        except Exception as error:  # broker or database unreachable: no verdict, no restart
            logger.warning("worker.liveness.check_failed (no verdict this round): %r", error)
            return None
        if verdict.healthy:
            self._failures = 0
            logger.debug("worker.liveness %s", verdict.describe())
            return None
        self._failures += 1
        logger.warning("worker.liveness %s [%d/%d]", verdict.describe(), self._failures,
                       self.failures_to_restart)
        if self._failures < self.failures_to_restart:
            return None
        return self._restart("the worker stopped consuming", verdict)

    def _restart(self, reason: str, verdict: Verdict | None) -> Restart:
        logger.error("worker.restart: %s%s; restarting it", reason,
                     f" ({verdict.describe()})" if verdict else "")
        self.worker.stop()
        self.start_worker()
        restart = Restart(reason, verdict)
        self.restarts.append(restart)
        logger.warning("worker.restarted (%d restart(s) so far)", len(self.restarts))
        return restart

    def start_worker(self) -> None:
        self.worker.start()
        self._failures = 0
        self._judge_after = time.monotonic() + self.start_grace

    def run(self) -> None:
        """Loop until `stop_watching()` (in this thread)."""
        while not self._stopping.wait(self.interval):
            try:
                self.tick()
            except Exception:  # a failed restart is retried at the next round
                logger.exception("worker.supervisor.error")

    def start_watching(self) -> LivenessSupervisor:
        """Run the loop in a daemon thread (the tests' way)."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self.run, name="worker-supervisor",
                                        daemon=True)
        self._thread.start()
        return self

    def stop_watching(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=120)
            self._thread = None


class WorkerProcess:
    """`celery ... worker` as a child in its own process group, so a stop reaches the pool
    processes too, even when the main process no longer reacts."""

    def __init__(self, args: Sequence[str], cwd: Path | None = None,
                 stop_timeout: float = 15.0, output: IO[bytes] | None = None) -> None:
        self.args = list(args)
        self.cwd = cwd
        self.stop_timeout = stop_timeout
        self.output = output
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.process = subprocess.Popen(self.args, cwd=self.cwd, stdout=self.output,
                                        stderr=subprocess.STDOUT if self.output else None,
                                        start_new_session=True)
        logger.info("worker.started pid=%d", self.process.pid)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL to the group after `stop_timeout`."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                logger.warning("worker.stop: no exit after SIGTERM, SIGKILL pid=%d",
                               process.pid)
        # Pool processes left behind by a main process that died first.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.process = None


__all__ = ("LivenessSupervisor", "Restart", "Worker", "WorkerProcess")
