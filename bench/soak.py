"""Soak and chaos: the whole product under a fixed-rate mixed load while things break.

    .venv/bin/python -m bench.soak [--minutes 20] [--report var/soak/report.json]

One command, loopback only, bounded in time (the load runs `--minutes`, the drain at most
`--drain-seconds`) and in requests (rate x duration, fixed in advance). It starts the
product as `make run` does, on processes of its own (bench/soak_stack.py: a private
PostgreSQL cluster and Redis, the sandboxes, gunicorn, two supervised Celery workers,
beat), drives the mix (bench/soak_load.py) while the fault schedule runs
(bench/soak_faults.py), waits until nothing is left to do, checks every promise
(bench/soak_checks.py) and prints one report, also written as JSON. Exit status 0 only
when every check passed. `--minutes 3` is the CI-sized run (tests/soak/).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from .soak_checks import (
    Check,
    check_campaigns,
    check_chatwoot,
    check_http,
    check_inbound,
    check_koko,
    check_memory,
    check_outbound,
    check_twenty,
)
from .soak_faults import STATED_RECOVERY_SECONDS, FaultSchedule, Monitor
from .soak_load import RATES, Journal, Load
from .soak_setup import (
    connect,
    enable_campaigns,
    enable_koko,
    migrate,
    seed_shop,
    setup_django,
    sweep_often,
    wait_for_sync,
)
from .soak_stack import EVENTBUS_ENV, REPO, SoakStack


def python_loop_ms() -> float:
    """Best of three runs of a fixed pure-Python loop: the CPU this process gets now."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 1)


def machine(label: str) -> dict[str, Any]:
    return {"label": label, "python_loop_ms": python_loop_ms(),
            "load_average": [round(x, 2) for x in os.getloadavg()], "cores": os.cpu_count()}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))], 1)


def latency_table(journal: Journal) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    by_endpoint: dict[str, list[Any]] = {}
    for sample in journal.samples:
        by_endpoint.setdefault(sample.endpoint, []).append(sample)
    for endpoint, samples in sorted(by_endpoint.items()):
        latencies = [s.latency_ms for s in samples]
        statuses: dict[str, int] = {}
        for s in samples:
            statuses[str(s.status)] = statuses.get(str(s.status), 0) + 1
        table[endpoint] = {"count": len(samples), "p50_ms": percentile(latencies, 0.5),
                           "p99_ms": percentile(latencies, 0.99), "statuses": statuses}
    return table


def wait_for_quiescence(monitor: Monitor, limit: float) -> float:
    """Until nothing is pending (outbound or inbound) for 5 samples in a row; seconds."""
    started = time.monotonic()
    calm = 0
    while time.monotonic() - started < limit:
        sample = monitor.sample_backlog()
        calm = calm + 1 if sample == (0, 0) else 0
        if calm >= 5:
            break
        time.sleep(1)
    return round(time.monotonic() - started, 1)


def run(minutes: float, drain_limit: float, report_path: Path) -> dict[str, Any]:
    seconds = minutes * 60
    stack = SoakStack()
    report: dict[str, Any] = {"minutes": minutes, "rates_per_second": RATES,
                              "eventbus_settings": EVENTBUS_ENV,
                              "machine_before": machine("before")}
    started = time.monotonic()
    shutil.rmtree(stack.workdir / "logs", ignore_errors=True)  # this run's logs only
    try:
        stack.start_postgres()
        stack.start_redis()
        stack.start_sandboxes()
        stack.start_smtp()
        stack.product_environment()
        setup_django(stack)
        migrate()
        seed_shop()
        sweep_often()
        stack.start_web()
        stack.start_workers()
        stack.start_beat()
        secrets = connect(stack)
        report["koko_articles"] = enable_koko()
        enable_campaigns()
        report["initial_sync_seconds"] = wait_for_sync(stack)
        report["setup_seconds"] = round(time.monotonic() - started, 1)
        print(f"[soak] product up in {report['setup_seconds']} s; load for {minutes} min",
              flush=True)

        journal = Journal()
        monitor = Monitor(stack).start()
        load = Load(stack.web_port, secrets, journal, chatwoot_url=stack.chatwoot_url)
        load.started = monitor.started
        faults = FaultSchedule(stack, monitor, seconds).start()
        load.run(seconds)
        faults.join()
        load_ended = monitor.now()
        print(f"[soak] load done at {load_ended:.0f} s; waiting for quiescence", flush=True)
        report["quiescence_seconds"] = wait_for_quiescence(monitor, drain_limit)
        monitor.stop()
        faults.measure_drains()
        report["dead_processes"] = stack.dead_children()

        checks: list[Check] = [
            check_outbound(), check_chatwoot(stack), check_twenty(stack),
            check_inbound(journal), check_koko(stack, journal), check_campaigns(stack),
            check_http(journal, faults.pg_windows),
            check_memory(monitor.rss, warmup=min(120.0, seconds / 6), end=load_ended),
        ]
        fault_rows = []
        for record in faults.records:
            drain = record.drain_seconds
            recovered = drain is not None and drain <= STATED_RECOVERY_SECONDS and not record.error
            fault_rows.append({
                "fault": record.name, "cycle": record.cycle, "at_s": round(record.started, 1),
                "ended_s": round(record.ended, 1), "detail": record.detail,
                "error": record.error, "backlog_before": record.baseline_backlog,
                "backlog_peak": record.peak_backlog,
                "drain_s": drain, "recovered_within_stated": recovered,
            })
        unrecovered = [r for r in fault_rows if not r["recovered_within_stated"]]
        recovery = Check(f"faults: each drained within {STATED_RECOVERY_SECONDS:.0f} s")
        for row in unrecovered:
            recovery.fail(f"{row['fault']} at {row['at_s']} s: drain {row['drain_s']} s "
                          f"{row['error']}")
        checks.append(recovery)
        peak, peak_at = monitor.peak()
        done = sum(journal.changes.values())
        report.update({
            "load_seconds": round(load_ended, 1),
            "operations": len(journal.samples),
            "throughput_per_second": round(len(journal.samples) / load_ended, 2),
            "changes_committed": journal.changes,
            "service_retries_after_database_errors": journal.service_errors,
            "changes_per_second": round(done / load_ended, 2),
            "latency": latency_table(journal),
            "faults": fault_rows,
            "pg_restart_windows_s": [[round(a, 1), round(b, 1)] for a, b in faults.pg_windows],
            "peak_backlog": {"total": peak, "at_s": round(peak_at, 1)},
            "checks": [{"name": c.name, "passed": c.passed, "counts": c.counts,
                        "problems": c.problems} for c in checks],
            "passed": all(c.passed for c in checks),
        })
    finally:
        report["machine_after"] = machine("after")
        report["wall_seconds"] = round(time.monotonic() - started, 1)
        stack.stop()
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str))
    return report


def print_report(report: dict[str, Any]) -> None:
    print("\n=== soak report ===")
    print(f"load {report.get('load_seconds')} s, {report.get('operations')} operations "
          f"({report.get('throughput_per_second')}/s), changes committed "
          f"{report.get('changes_committed')}")
    print(f"machine before {report['machine_before']}, after {report['machine_after']}")
    print(f"setup {report.get('setup_seconds')} s, quiescence after the load "
          f"{report.get('quiescence_seconds')} s, peak backlog {report.get('peak_backlog')}")
    for endpoint, row in report.get("latency", {}).items():
        print(f"  {endpoint:<58} n={row['count']:<5} p50 {row['p50_ms']:>8.1f} ms  "
              f"p99 {row['p99_ms']:>8.1f} ms  {row['statuses']}")
    for fault in report.get("faults", []):
        state = "recovered" if fault["recovered_within_stated"] else "NOT RECOVERED"
        print(f"  fault {fault['fault']:<32} at {fault['at_s']:>6} s  drain "
              f"{fault['drain_s']} s  {state} {fault['error']}")
    for check in report.get("checks", []):
        print(f"[{'PASS' if check['passed'] else 'FAIL'}] {check['name']}: {check['counts']}")
        for problem in check["problems"]:
            print(f"      - {problem}")
    print(f"soak {'PASSED' if report.get('passed') else 'FAILED'}")


def markdown(report: dict[str, Any]) -> str:
    """The report as the tables of docs/reliability.md."""
    before, after = report["machine_before"], report["machine_after"]
    lines = [
        f"Load {report['load_seconds']} s, {report['operations']} operations "
        f"({report['throughput_per_second']}/s), {sum(report['changes_committed'].values())} "
        f"changes committed ({report['changes_per_second']}/s); setup "
        f"{report['setup_seconds']} s; quiescence {report['quiescence_seconds']} s after the "
        f"load; peak backlog {report['peak_backlog']['total']} at "
        f"{report['peak_backlog']['at_s']} s; wall {report['wall_seconds']} s.",
        f"Machine: Python loop {before['python_loop_ms']} ms before, "
        f"{after['python_loop_ms']} ms after; load average {before['load_average'][0]} "
        f"before, {after['load_average'][0]} after (1 min), on {before['cores']} cores.",
        "",
        "| endpoint / call | n | p50 ms | p99 ms | answers |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for endpoint, row in report["latency"].items():
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(row["statuses"].items()))
        lines.append(f"| {endpoint} | {row['count']} | {row['p50_ms']} | {row['p99_ms']} | "
                     f"{answers} |")
    lines += ["", "| fault | at s | until s | backlog before / peak | drain s | recovered "
              "| how |", "| --- | ---: | ---: | ---: | ---: | --- | --- |"]
    for fault in report["faults"]:
        recovered = "yes" if fault["recovered_within_stated"] else f"NO {fault['error']}"
        lines.append(f"| {fault['fault']} | {fault['at_s']} | {fault['ended_s']} | "
                     f"{fault['backlog_before']} / {fault.get('backlog_peak', '?')} | "
                     f"{fault['drain_s']} | {recovered} | {fault['detail']} |")
    lines += ["", "| check | result | counts |", "| --- | --- | --- |"]
    for check in report["checks"]:
        counts = "; ".join(f"{k}: {v}" for k, v in check["counts"].items())
        result = "pass" if check["passed"] else "FAIL: " + " / ".join(check["problems"][:3])
        lines.append(f"| {check['name']} | {result} | {counts} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--drain-seconds", type=float, default=240.0,
                        help="the longest wait for quiescence after the load")
    parser.add_argument("--report", type=Path, default=REPO / "var" / "soak" / "report.json")
    parser.add_argument("--markdown", type=Path, default=None,
                        help="print an earlier run's JSON report as Markdown tables, no run")
    args = parser.parse_args(argv)
    if args.markdown is not None:
        print(markdown(json.loads(args.markdown.read_text())))
        return 0
    report = run(args.minutes, args.drain_seconds, args.report)
    print_report(report)
    print(f"report written to {args.report}")
    return 0 if report.get("passed") else 1


if __name__ == "__main__":
    sys.exit(main())
