"""Real processes for the tests: a private redis-server and a Celery worker, each started
on a free loopback port and stopped by its own PID (or process group), never by name."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from devstack.shared_folder import REPOSITORY_ROOT

from .waiting import wait_for

if TYPE_CHECKING:
    from apps.plugin_manager.eventbus.worker_supervisor import LivenessSupervisor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A private redis-server without persistence: a kill loses every queued message."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(up, timeout=10, message="redis-server to answer PING")
        return self

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


class CeleryWorker:
    """`celery -A kgc_erp worker` against the test database and a given broker."""

    def __init__(
        self,
        env: dict[str, str],
        log_dir: Path,
        concurrency: int = 4,
        pool: str = "prefork",
        loglevel: str = "info",
    ) -> None:
        self.env = {**os.environ, **env}
        self.node = f"kgc-test-{uuid.uuid4().hex[:6]}@localhost"
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.concurrency = concurrency
        self.pool = pool
        self.loglevel = loglevel
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> CeleryWorker:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "kgc_erp", "worker", "-P", self.pool,
             "-c", str(self.concurrency), "-l", self.loglevel, "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", self.node],
            cwd=REPOSITORY_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killing it kills the pool too
        )
        log.close()
        try:
            wait_for(self._ready, timeout=timeout, message="the celery worker to answer a ping")
        except BaseException:
            self.kill()  # never leave a half-started worker behind
            raise
        return self

    def _ready(self) -> bool:
        from celery.app.control import Control

        from kgc_erp.celery import app

        if self.process is not None and self.process.poll() is not None:
            raise RuntimeError(f"celery worker exited early:\n{self.log_tail()}")
        if self.loglevel.lower() in ("info", "debug"):
            # The worker says so itself; no broker round trip through this process's app
            # (whose control mailbox other suites may have bound to their own broker).
            return b" ready." in self.log_path.read_bytes()
        # The caller's Celery app must use the worker's broker (the tests and benchmarks
        # point it there).
        try:
            # A Control and a connection of their own: `app.control` keeps the producer pool
            # of the broker it first used (other suites point the app elsewhere), and a
            # pooled connection may predate a broker restart.
            with app.connection_for_write() as connection:
                replies = Control(app=app).ping(
                    destination=[self.node], timeout=0.5, connection=connection
                )
        except Exception:  # the broker itself is not up yet
            return False
        return bool(replies)

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children) at once."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None


class WorkerSupervisor:
    """Keeps one real worker running for the tests that need one; a test may kill it."""

    def __init__(self, env: dict[str, str], log_dir: Path, concurrency: int = 4) -> None:
        self.env = env
        self.log_dir = log_dir
        self.concurrency = concurrency
        self.worker: CeleryWorker | None = None
        self.watcher: LivenessSupervisor | None = None

    def ensure(self) -> CeleryWorker:
        if self.worker is None or self.worker.process is None or (
            self.worker.process.poll() is not None
        ):
            self.worker = CeleryWorker(self.env, self.log_dir, self.concurrency).start()
        return self.worker

    def kill(self) -> None:
        if self.worker is not None:
            self.worker.kill()
        self.worker = None

    def stop(self) -> None:
        self.unwatch()
        if self.worker is not None:
            self.worker.stop()
        self.worker = None

    def log_tail(self, lines: int = 60) -> str:
        return self.worker.log_tail(lines) if self.worker is not None else ""

    # The product's self-healing, applied to this worker: the same supervisor loop
    # (`worker_supervisor.LivenessSupervisor`) and liveness check `manage.py
    # supervise_worker` runs, in a thread of the test process.

    def watch(
        self, stall_seconds: float, interval: float, failures_to_restart: int = 2
    ) -> LivenessSupervisor:
        """Restart this worker when it exits or stops consuming, until `unwatch()`."""
        from apps.plugin_manager.eventbus import liveness
        from apps.plugin_manager.eventbus.worker_supervisor import LivenessSupervisor

        broker_url = self.env["CELERY_BROKER_URL"]

        def check() -> liveness.Verdict:
            node = self.worker.node if self.worker is not None else None
            client = liveness.broker_client(broker_url)
            try:
                return liveness.check(client, node=node, stall_seconds=stall_seconds)
            finally:
                client.close()

        self.watcher = LivenessSupervisor(
            _SupervisedWorker(self),
            check,
            interval=interval,
            failures_to_restart=failures_to_restart,
        ).start_watching()
        return self.watcher

    def unwatch(self) -> None:
        if self.watcher is not None:
            self.watcher.stop_watching()
            self.watcher = None


class _SupervisedWorker:
    """A `WorkerSupervisor`'s current worker as the product's supervisor sees it
    (`worker_supervisor.Worker`): start, running, stop."""

    def __init__(self, owner: WorkerSupervisor) -> None:
        self.owner = owner

    def start(self) -> CeleryWorker:
        return self.owner.ensure()

    def running(self) -> bool:
        worker = self.owner.worker
        return worker is not None and worker.process is not None and (
            worker.process.poll() is None
        )

    def stop(self) -> None:
        worker = self.owner.worker
        if worker is not None:
            worker.stop()


def database_url(name: str | None = None) -> str:
    """A DATABASE_URL for a child process: this run's database server; the test database,
    or the one named."""
    from django.db import connection

    db = connection.settings_dict
    # django-environ keeps a socket directory given as ?host=... in OPTIONS.
    host = db["HOST"] or db["OPTIONS"].get("host", "")
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    name = name or db["NAME"]
    if not host or host.startswith("/"):
        return f"postgres://{credentials}@/{name}" + (f"?host={host}" if host else "")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{name}"


def worker_environment(broker_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a worker subprocess: the test settings, the test database, the
    given broker, and this process's cache (the plugin state's version key lives there)."""
    from django.conf import settings

    cache_conf = settings.CACHES["default"]
    return {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": cache_conf["LOCATION"],
        "CACHE_KEY_PREFIX": cache_conf.get("KEY_PREFIX", ""),
        **overrides,
    }
