"""Real Redis and Celery worker processes for the delivery tests, stopped by PID only."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


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

        _wait(up, 10, "redis-server to answer PING")
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
        self.node = f"eventbus-test-{uuid.uuid4().hex[:6]}@localhost"
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
            cwd=REPO,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killing it kills the pool too
        )
        log.close()
        try:
            _wait(self._ready, timeout, "the celery worker to answer a ping")
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


def point_celery_at(broker_url: str) -> None:
    """Make this (test) process publish to another broker.

    Checked per test by the suites' fixtures: pytest-django runs every directory's
    transactional tests after the others, so another suite may have moved Celery meanwhile.
    """
    from kombu import pools

    from apps.plugin_manager.eventbus.dispatch import forget_producers
    from kgc_erp.celery import app as celery_app

    if celery_app.conf.broker_url == broker_url:
        return
    celery_app.conf.broker_url = broker_url
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._after_fork()  # Celery's own hook: drops cached connection/producer pools
    pools.reset()  # kombu's global producer pools, keyed by connection, too
    forget_producers()  # and the event bus's handle on one of them
