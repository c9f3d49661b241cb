"""The soak run's fault schedule and its monitor.

Faults, at fixed fractions of each cycle (one cycle per 10 minutes of run, at least one):
- a Celery worker SIGKILLed (main process and pool; its supervisor restarts it);
- Redis SIGKILLed and started again empty on the same port (queued messages lost; the
  sweeper publishes the rows again);
- the Chatwoot sandbox answering 30 % of its API calls with 500, 429 or a hang longer than
  the client's read timeout (answered 504), rotating every 5 s, some of them after the
  request took effect (the lost-response case), for a minute (a sixth of a short run);
- PostgreSQL restarted (`pg_ctl restart -m fast` on the private cluster);
- the Twenty sandbox down (connection refused) for a minute (a sixth of a short run).

The monitor samples the backlog (deliveries pending, inbound webhooks waiting) every
second and the workers' memory every 5 s; the report's drain times come from it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from dataclasses import dataclass, field

from .soak_stack import SoakStack

CYCLE_SECONDS = 600
FAULT_SHARE = {  # when each fault starts, as a fraction of its cycle
    "worker SIGKILL": 0.10,
    "Redis restart": 0.22,
    "Chatwoot 30% 5xx/429/timeouts": 0.34,
    "PostgreSQL restart": 0.56,
    "Twenty sandbox down": 0.70,
}
FLAKY_MODES = (
    {"mode": "500"},
    {"mode": "429"},
    {"mode": "timeout", "delay": 4.0},  # > CHATWOOT_READ_TIMEOUT_SECONDS (3 s)
    {"mode": "500", "apply": "after"},  # the call took effect, its answer is lost
)
# How long after a fault ends the backlog must be back to its pre-fault level.
STATED_RECOVERY_SECONDS = 120.0


@dataclass
class FaultRecord:
    name: str
    cycle: int
    started: float  # seconds since the load started
    ended: float = 0.0
    detail: str = ""
    error: str = ""
    baseline_backlog: int = 0
    peak_backlog: int = 0
    drained_at: float | None = None

    @property
    def drain_seconds(self) -> float | None:
        return None if self.drained_at is None else round(self.drained_at - self.ended, 1)


@dataclass
class Monitor:
    """Backlog and worker memory over time, sampled from this process."""

    stack: SoakStack
    started: float = field(default_factory=time.monotonic)
    backlog: list[tuple[float, int, int]] = field(default_factory=list)  # t, outbound, inbound
    rss: list[tuple[float, int, int, int]] = field(default_factory=list)  # t, worker, pid, bytes
    stopping: threading.Event = field(default_factory=threading.Event)

    def now(self) -> float:
        return time.monotonic() - self.started

    def start(self) -> Monitor:
        threading.Thread(target=self._run, name="soak-monitor", daemon=True).start()
        return self

    def stop(self) -> None:
        self.stopping.set()

    def sample_backlog(self) -> tuple[int, int] | None:
        from django.db import connection

        from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery

        try:
            outbound = Delivery.objects.filter(status=Delivery.Status.PENDING).count()
            inbound = InboundDelivery.objects.filter(
                status=InboundDelivery.Status.RECEIVED).count()
        except Exception:  # the database is restarting: no sample
            connection.close()
            return None
        return outbound, inbound

    def _run(self) -> None:
        last_rss = 0.0
        while not self.stopping.is_set():
            sample = self.sample_backlog()
            if sample is not None:
                self.backlog.append((self.now(), *sample))
            if self.now() - last_rss >= 5:
                last_rss = self.now()
                for index in range(2):
                    rss = self.stack.worker_rss(index)
                    if rss is not None:
                        self.rss.append((self.now(), index, *rss))
            self.stopping.wait(1.0)

    def level(self, since: float, until: float) -> int:
        """The backlog's usual level in a window (its median total)."""
        values = sorted(o + i for t, o, i in self.backlog if since <= t <= until)
        return values[len(values) // 2] if values else 0

    def peak(self) -> tuple[int, float]:
        if not self.backlog:
            return 0, 0.0
        t, outbound, inbound = max(self.backlog, key=lambda row: row[1] + row[2])
        return outbound + inbound, t


def _post_json(url: str, data: dict[str, object] | None, method: str = "POST") -> None:
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


class FaultSchedule:
    def __init__(self, stack: SoakStack, monitor: Monitor, load_seconds: float) -> None:
        self.stack = stack
        self.monitor = monitor
        self.load_seconds = load_seconds
        cycles = max(1, round(load_seconds / CYCLE_SECONDS))
        self.cycle_seconds = load_seconds / cycles
        self.window = min(60.0, self.cycle_seconds / 6)
        self.plan: list[tuple[float, str, int]] = sorted(
            (cycle * self.cycle_seconds + share * self.cycle_seconds, name, cycle)
            for cycle in range(cycles) for name, share in FAULT_SHARE.items()
        )
        self.records: list[FaultRecord] = []
        self.pg_windows: list[tuple[float, float]] = []
        self.thread: threading.Thread | None = None

    def start(self) -> FaultSchedule:
        self.thread = threading.Thread(target=self._run, name="soak-faults", daemon=True)
        self.thread.start()
        return self

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join()

    def _sleep_until(self, at: float) -> None:
        delay = at - self.monitor.now()
        if delay > 0:
            time.sleep(delay)

    def _run(self) -> None:
        for at, name, cycle in self.plan:
            self._sleep_until(at)
            record = FaultRecord(name, cycle, self.monitor.now())
            record.baseline_backlog = self.monitor.level(at - 20, at)
            self.records.append(record)
            try:
                self._inject(name, record)
            except Exception as exc:  # reported, never hidden
                record.error = f"{type(exc).__name__}: {exc}"[:400]
            record.ended = record.ended or self.monitor.now()

    def _inject(self, name: str, record: FaultRecord) -> None:
        if name == "worker SIGKILL":
            pid = self.stack.kill_worker(0)
            record.detail = f"SIGKILL to the process group of worker 0 (pid {pid})"
        elif name == "Redis restart":
            self.stack.restart_redis()
            record.detail = "redis-server SIGKILLed and started empty on the same port"
        elif name == "PostgreSQL restart":
            started = self.monitor.now()
            try:
                record.detail = self.stack.restart_postgres()
            finally:
                self.pg_windows.append((started, self.monitor.now()))
        elif name.startswith("Chatwoot"):
            until = self.monitor.now() + self.window
            index = 0
            while self.monitor.now() < until:
                mode = FLAKY_MODES[index % len(FLAKY_MODES)]
                _post_json(f"{self.stack.chatwoot_url}/_sandbox/faults",
                           {**mode, "ratio": 0.3, "seed": index})
                index += 1
                time.sleep(min(5.0, max(0.0, until - self.monitor.now())))
            _post_json(f"{self.stack.chatwoot_url}/_sandbox/faults", None, method="DELETE")
            record.detail = f"{self.window:.0f} s, modes rotated every 5 s: " + ", ".join(
                f"{m['mode']}{' after the call' if m.get('apply') else ''}" for m in FLAKY_MODES)
        elif name == "Twenty sandbox down":
            relay = self.stack.twenty_relay
            assert relay is not None
            relay.down()
            time.sleep(self.window)
            relay.up()
            record.detail = f"connection refused for {self.window:.0f} s"
        record.ended = self.monitor.now()

    def measure_drains(self) -> None:
        """For each fault: when the backlog was back to its pre-fault level (+5) for two
        samples in a row."""
        for record in self.records:
            limit = record.baseline_backlog + 5
            streak = 0
            for t, outbound, inbound in self.monitor.backlog:
                if t < record.ended:
                    continue
                streak = streak + 1 if outbound + inbound <= limit else 0
                if streak == 2:
                    record.drained_at = t
                    break
            until = record.drained_at if record.drained_at is not None else float("inf")
            record.peak_backlog = max(
                (o + i for t, o, i in self.monitor.backlog if record.started <= t <= until),
                default=0)
