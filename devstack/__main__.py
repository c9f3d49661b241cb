"""`python -m devstack run|test`: what `make run` and `make test` do.

Starts what the environment does not provide (embedded PostgreSQL when DATABASE_URL is
unset, a private redis-server when REDIS_URL is unset), then runs the product or the
test suite, and stops everything it started.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .chromium import ensure_chromium
from .postgres import (
    embedded_postgres_running,
    start_embedded_postgres,
    stop_embedded_postgres,
)
from .redis import start_private_redis, wait_for_port

REPO = Path(__file__).resolve().parent.parent
VAR = REPO / "var"
PYTHON = sys.executable
log = logging.getLogger("devstack")


class Stack:
    """The infrastructure processes this run started (and so must stop)."""

    def __init__(self) -> None:
        self.env = os.environ.copy()
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.pgdata: Path | None = None

    def provide_database(self, database: str) -> None:
        if self.env.get("DATABASE_URL"):
            return
        pgdata = Path(self.env.get("EMBEDDED_PGDATA", VAR / "pgdata")).resolve()
        # A cluster someone else already runs (another make run/test) is theirs to stop.
        if not embedded_postgres_running(pgdata):
            self.pgdata = pgdata
        self.env["DATABASE_URL"] = start_embedded_postgres(pgdata, database)
        log.info("embedded PostgreSQL ready: %s", self.env["DATABASE_URL"])

    def provide_redis(self) -> None:
        if self.env.get("REDIS_URL"):
            return
        process, url = start_private_redis(VAR / "redis")
        self.children.append(("redis", process))
        self.env["REDIS_URL"] = url
        log.info("private redis-server ready: %s", url)

    def spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(args, cwd=REPO, env=self.env)
        self.children.append((name, process))
        return process

    def manage(self, *args: str) -> None:
        subprocess.run([PYTHON, "manage.py", *args], cwd=REPO, env=self.env, check=True)

    def management_commands(self) -> set[str]:
        listing = subprocess.run(
            [PYTHON, "manage.py", "help", "--commands"],
            cwd=REPO,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        return set(listing.stdout.split())

    def all_running(self) -> bool:
        return all(process.poll() is None for _, process in self.children)

    def stop(self) -> None:
        for name, process in reversed(self.children):
            if process.poll() is None:
                log.info("stopping %s (pid %s)", name, process.pid)
                process.terminate()
        for _, process in self.children:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.pgdata is not None:
            stop_embedded_postgres(self.pgdata)


def run_tests(stack: Stack, pytest_args: list[str]) -> int:
    stack.provide_database("kgc")
    stack.provide_redis()
    # The browser tests (tests/browser) drive Debian's chromium; without it they fail.
    ensure_chromium()
    return subprocess.run(
        [PYTHON, "-m", "pytest", *pytest_args], cwd=REPO, env=stack.env
    ).returncode


SANDBOX_PORTS = {"chatwoot": 3100, "twenty": 3200}
# The worker's liveness check: how often, and how long queued work may wait without the
# worker making progress before it counts as stalled (longer than any task runs).
WORKER_CHECK_SECONDS = 15
WORKER_STALL_SECONDS = 60


SMTP_SINK_PORT = 2525


def start_smtp_sink(stack: Stack) -> None:
    """A local SMTP server (aiosmtpd, printing every message) for the campaign e-mails,
    unless EMAIL_URL points somewhere already."""
    if stack.env.get("EMAIL_URL"):
        return
    port = SMTP_SINK_PORT if not _port_in_use(SMTP_SINK_PORT) else _free_port()
    stack.spawn("smtp-sink", [PYTHON, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                              "-c", "aiosmtpd.handlers.Debugging", "stdout"])
    wait_for_port(port, timeout=20)
    stack.env["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["KGC_DEVSTACK_EMAIL_URL"] = stack.env["EMAIL_URL"]  # for the banner
    log.info("SMTP sink ready: %s (e-mails are printed here)", stack.env["EMAIL_URL"])


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


DEMO_SANDBOX_TOKEN = "demo-sandbox-token"
# Written by `manage.py ensure_demo_admin` (kgc_erp.demo) and, when the support plugin is
# installed, `manage.py ensure_demo_api_key` (its bot API); both keep them across runs.
DEMO_ADMIN_USERNAME = "admin"
# After the web server answers, Celery's worker and beat print their start-up banners and
# the sandboxes log the plugins' first sync for a few more seconds (about 130 lines); the
# summary waits that long so that it is what stays on screen.
STARTUP_SETTLE_SECONDS = 15.0
DEMO_ADMIN_PASSWORD_FILE = VAR / "demo-admin-password"
DEMO_API_KEY_FILE = VAR / "demo-api-key"


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


def running_banner(port: int, sandboxes: bool = True) -> str:
    """The last thing `make run` prints: everything needed to start clicking and calling.

    Repeated here because the same lines scroll away among the startup logs.
    """
    base = f"http://127.0.0.1:{port}"
    password = _read_secret(DEMO_ADMIN_PASSWORD_FILE) or "(see var/demo-admin-password)"
    api_key = _read_secret(DEMO_API_KEY_FILE)
    lines = [
        "",
        "KGC ERP is running:",
        f"  admin:            {base}/admin/",
        f"    username:       {DEMO_ADMIN_USERNAME}",
        f"    password:       {password}",
        f"  bot API docs:     {base}/api/docs/",
    ]
    if os.environ.get("KGC_DEVSTACK_EMAIL_URL"):
        lines.append(f"  e-mails (SMTP):   {os.environ['KGC_DEVSTACK_EMAIL_URL']} (printed here)")
    if api_key:
        lines.append(f"    API key:        {api_key}   (Authorization: Bearer <key>)")
    if sandboxes:
        lines += [
            f"  Chatwoot sandbox: http://127.0.0.1:{SANDBOX_PORTS['chatwoot']}/_sandbox/state",
            f"  Twenty sandbox:   http://127.0.0.1:{SANDBOX_PORTS['twenty']}/_sandbox/state",
        ]
    lines += ["Press Ctrl-C to stop everything.", ""]
    return "\n".join(lines)


def start_sandboxes(stack: Stack) -> None:
    """Start the Chatwoot and Twenty simulators and point the demo tenant at them."""
    chatwoot_url = f"http://127.0.0.1:{SANDBOX_PORTS['chatwoot']}"
    twenty_url = f"http://127.0.0.1:{SANDBOX_PORTS['twenty']}"
    stack.spawn(
        "chatwoot-sandbox",
        [
            PYTHON,
            "-m",
            "sandboxes.chatwoot",
            "--port",
            str(SANDBOX_PORTS["chatwoot"]),
            "--api-token",
            DEMO_SANDBOX_TOKEN,
            "--platform-token",
            DEMO_SANDBOX_TOKEN,
        ],
    )
    stack.spawn(
        "twenty-sandbox",
        [
            PYTHON,
            "-m",
            "sandboxes.twenty",
            "--port",
            str(SANDBOX_PORTS["twenty"]),
            "--api-key",
            DEMO_SANDBOX_TOKEN,
        ],
    )
    for port in SANDBOX_PORTS.values():
        wait_for_port(port, timeout=20)
    available = stack.management_commands()
    if "support_connect_chatwoot" in available:
        stack.manage(
            "support_connect_chatwoot",
            "--api-url",
            chatwoot_url,
            "--api-token",
            DEMO_SANDBOX_TOKEN,
            "--platform-token",
            DEMO_SANDBOX_TOKEN,
            "--account-id",
            "1",
            "--enable",
        )
    if "crm_connect_twenty" in available:
        stack.manage(
            "crm_connect_twenty",
            "--api-url",
            twenty_url,
            "--api-key",
            DEMO_SANDBOX_TOKEN,
            "--enable",
        )


def run_product(stack: Stack, port: int) -> int:
    stack.provide_database("kgc")
    stack.provide_redis()
    start_smtp_sink(stack)
    stack.env.setdefault("DEBUG", "true")
    stack.manage("migrate", "--noinput")
    stack.manage("collectstatic", "--noinput", "-v", "0")
    stack.manage("seed_demo", "--if-empty")
    stack.manage("ensure_demo_admin")
    start_sandboxes(stack)
    # The bot API belongs to a plugin: its demo key exists only when the plugin does.
    if "ensure_demo_api_key" in stack.management_commands():
        stack.manage("ensure_demo_api_key")
    stack.spawn(
        "web",
        [
            PYTHON,
            "-m",
            "gunicorn",
            "kgc_erp.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--access-logfile",
            "-",
        ],
    )
    # The worker runs under the product's supervisor: restarted when it exits or when work
    # waits in its queue and it makes no progress (a worker left connected but not
    # consuming after a Redis restart, celery/celery#8030). Its log says so:
    # "worker.liveness STALLED ..." then "worker.restart: ...".
    stack.spawn(
        "worker",
        [
            PYTHON, "manage.py", "supervise_worker",
            "--interval", str(WORKER_CHECK_SECONDS),
            "--stall-seconds", str(WORKER_STALL_SECONDS),
            "--", PYTHON, "-m", "celery", "-A", "kgc_erp", "worker", "-l", "info", "-c", "2",
        ],
    )
    stack.spawn("beat", [PYTHON, "-m", "celery", "-A", "kgc_erp", "beat", "-l", "info"])
    wait_for_port(port, timeout=30)
    settled_at = time.monotonic() + STARTUP_SETTLE_SECONDS
    while time.monotonic() < settled_at and stack.all_running():
        time.sleep(0.5)
    print(running_banner(port), flush=True)
    while stack.all_running():
        time.sleep(1)
    return 1


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The command and, for `test`, pytest's arguments in the order given."""
    parser = argparse.ArgumentParser(prog="devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="set up and run the product with demo data")
    run.add_argument("--port", type=int, default=8000)
    test = sub.add_parser("test", help="set up and run the test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    if argv[:1] == ["test"]:
        # Everything after `test` belongs to pytest, untouched: argparse would move the
        # options it does not know behind the positionals (`-m "not soak"` would become
        # `"not soak" -m`).
        return argparse.Namespace(command="test", pytest_args=argv[1:])
    return parser.parse_args(argv)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="[devstack] %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    args = parse_arguments(sys.argv[1:])

    stack = Stack()
    # Ctrl-C and SIGTERM both end in the finally block, which stops every child.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Even when started from a shell that ignores SIGINT (background jobs), Ctrl-C stops us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        if args.command == "test":
            return run_tests(stack, args.pytest_args)
        return run_product(stack, args.port)
    except KeyboardInterrupt:
        return 130
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
