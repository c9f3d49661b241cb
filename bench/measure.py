"""Shared measuring tools of the hot-path benchmarks: machine reference, CPU per process,
percentiles and the load average.

Every hot-path benchmark reports its figures as ratios to a baseline measured in the same
run, so a figure means the same on a fast and on a slow machine of the project's kind; the
machine reference printed beside them says how fast this machine was at the time:

- a fixed pure-Python loop (`LOOP_ITERATIONS` steps, best of three): the CPU one process
  gets now (an idle 2-core machine of the project's kind: about 0.1 s; the slow machine of
  the hot-path issue: about 0.45 s for the same loop);
- the bare indexed partner query's p50 (`SELECT ... WHERE tenant_id = %s AND phone = %s`
  on an open connection): database round trip plus index lookup.

CPU per operation comes from `/proc/<pid>/stat` (utime + stime of the process and its
threads), read before and after a measured section for every process that takes part
(server workers, PostgreSQL backends of the benchmark database, Redis, the client), so it
does not depend on what else runs on the machine.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

LOOP_ITERATIONS = 2_000_000
_TICKS = os.sysconf("SC_CLK_TCK")


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (`fraction` in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * fraction) - 1))]


def latency_summary(samples: Sequence[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(samples),
        "p90": percentile(samples, 0.90),
        "p99": percentile(samples, 0.99),
        "max": max(samples),
    }


def load_average() -> float:
    return os.getloadavg()[0]


def python_loop_seconds(iterations: int = LOOP_ITERATIONS) -> float:
    """Best of three runs of a fixed pure-Python loop."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(iterations):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return best


def bare_partner_query_ms(runs: int = 500) -> list[float]:
    """The bare indexed partner query, timed on this process's open connection.

    Needs Django set up on a database with partners; the phone numbers are read first
    (not timed), then each run looks one of them up through `partner_phone_idx`.
    """
    from django.db import connection

    from kgc_erp.partners.models import Partner

    table = Partner._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tenant_id, phone FROM {table} WHERE phone <> '' LIMIT 500")
        keys = cursor.fetchall()
        if not keys:
            raise RuntimeError("the machine reference needs partners with a phone number")
        sql = f"SELECT id FROM {table} WHERE tenant_id = %s AND phone = %s"
        for key in keys[:50]:  # warm the plan and the pages first, untimed
            cursor.execute(sql, key)
            cursor.fetchall()
        timings = []
        for index in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, keys[index % len(keys)])
            cursor.fetchall()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


@dataclass(frozen=True)
class MachineReference:
    loop_seconds: float
    bare_query_p50_ms: float
    load: float
    cores: int

    def line(self, label: str = "") -> str:
        where = f" ({label})" if label else ""
        return (
            f"machine reference{where}: python loop ({LOOP_ITERATIONS:,} steps) "
            f"{self.loop_seconds * 1000:.0f} ms, bare indexed partner query p50 "
            f"{self.bare_query_p50_ms:.3f} ms, load average {self.load:.2f} on "
            f"{self.cores} cores"
        )


def machine_reference() -> MachineReference:
    return MachineReference(
        loop_seconds=python_loop_seconds(),
        bare_query_p50_ms=statistics.median(bare_partner_query_ms()),
        load=load_average(),
        cores=os.cpu_count() or 0,
    )


# --- CPU per process ------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    fields = data[data.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # fields 14 and 15 of stat(5)


def children_of(pid: int) -> list[int]:
    """Direct children of a process (from the thread group's `children` files)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
        except OSError:
            continue
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return cmdline.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL backends serving `database` (their process title names it).

    Autovacuum workers name the database too but are left out: they start when a
    table's churn crosses a threshold, so one lands in one side's measurement or the
    other's by chance and swamps the per-operation figure."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            title = _cmdline(int(entry))
            if (title.startswith("postgres:") and f" {database} " in title
                    and "autovacuum" not in title):
                found.append(int(entry))
    return found


def listening_pid(port: int) -> int | None:
    """The process listening on a local TCP port (e.g. a private redis-server)."""
    import psutil

    for conn in psutil.net_connections("tcp"):
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
            return int(conn.pid) if conn.pid else None
    return None


@dataclass
class CpuMeter:
    """CPU seconds per role, summed over the role's processes.

    Roles are given as pid lists (or callables returning them, re-evaluated at every
    reading, for processes that come and go such as PostgreSQL backends). A process that
    ends between two readings drops out of both (its CPU since the first reading is lost,
    so measure sections where the processes live throughout).
    """

    roles: Mapping[str, Iterable[int] | object]
    _last: dict[str, dict[int, float]] = field(default_factory=dict)

    def _pids(self, role: str) -> list[int]:
        source = self.roles[role]
        return list(source() if callable(source) else source)  # type: ignore[call-overload]

    def read(self) -> dict[str, dict[int, float]]:
        reading: dict[str, dict[int, float]] = {}
        for role in self.roles:
            per_pid = {}
            for pid in self._pids(role):
                seconds = process_cpu_seconds(pid)
                if seconds is not None:
                    per_pid[pid] = seconds
            reading[role] = per_pid
        return reading

    @staticmethod
    def spent(before: dict[str, dict[int, float]],
              after: dict[str, dict[int, float]]) -> dict[str, float]:
        """CPU seconds per role between two readings (processes present in both)."""
        return {
            role: sum(after[role][pid] - start for pid, start in before[role].items()
                      if pid in after.get(role, {}))
            for role in before
        }


def per_operation_ms(spent: Mapping[str, float], operations: int) -> dict[str, float]:
    return {role: seconds * 1000 / operations for role, seconds in spent.items()}


def cpu_line(per_op: Mapping[str, float]) -> str:
    total = sum(per_op.values())
    parts = ", ".join(f"{role} {ms:.2f}" for role, ms in per_op.items())
    return f"{total:.2f} ms ({parts})"


def ratio(subject: float, baseline: float) -> float:
    return subject / baseline if baseline else float("inf")


# --- in-process requests ---------------------------------------------------------------


def wsgi_request(application: object, method: str, path: str,
                 headers: Mapping[str, str] | None = None, body: bytes = b"") -> int:
    """One request through a WSGI application in this process, as gunicorn makes it
    (environ, start_response, iterate the body, close()): the whole Django stack with its
    middleware and the response's close hooks, without the server and the socket."""
    import io
    from urllib.parse import unquote

    raw_path, _, query = path.partition("?")
    environ: dict[str, object] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": unquote(raw_path),
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_LENGTH": str(len(body)),
    }
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        environ[key if key == "CONTENT_TYPE" else f"HTTP_{key}"] = value
    status: list[str] = []

    def start_response(line: str, _headers: object, _exc_info: object = None) -> None:
        status.append(line)

    result = application(environ, start_response)  # type: ignore[operator]
    try:
        for _chunk in result:
            pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return int(status[0].split()[0])
