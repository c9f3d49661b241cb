"""The 3-minute soak-and-chaos run (bench/soak.py) as a test: the whole product under a
mixed load while a worker is killed, Redis and PostgreSQL restart, Chatwoot answers errors
and Twenty is down; it fails on any loss, duplicate, out-of-order delivery, 5xx or
unrecovered fault. It runs on processes of its own (a private PostgreSQL cluster under
var/soak, its own Redis, sandboxes, gunicorn and workers), never on the suite's.

About 5 minutes: skip it locally with `-m "not soak"`; CI runs it (`make test`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.shared_folder import REPOSITORY_ROOT

pytestmark = [pytest.mark.soak, pytest.mark.timeout(600)]


def test_three_minutes_of_load_and_faults_lose_nothing(tmp_path: Path) -> None:
    report_path = tmp_path / "soak-report.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--minutes", "3", "--drain-seconds", "120",
         "--report", str(report_path)],
        cwd=REPOSITORY_ROOT, capture_output=True, text=True, timeout=540, check=False,
    )
    output = done.stdout[-12000:] + done.stderr[-4000:]
    assert report_path.exists(), output
    report = json.loads(report_path.read_text())
    failed = {check["name"]: check["problems"] for check in report.get("checks", [])
              if not check["passed"]}
    assert report.get("checks"), output  # the run got as far as checking
    assert not failed, json.dumps(failed, indent=1, ensure_ascii=False) + "\n" + output
    assert done.returncode == 0, output
    # What the checks cover was really exercised: changes, webhooks of every kind, faults.
    inbound = next(c for c in report["checks"] if c["name"].startswith("inbound"))
    for kind in ("chatwoot valid", "chatwoot forged", "twenty valid", "twenty forged"):
        assert inbound["counts"]["sent"].get(kind, 0) > 0, kind
    assert sum(report["changes_committed"].values()) > 100
    # Kokó answered customers during the faults (the check above holds each to one answer).
    koko = next(c for c in report["checks"] if c["name"].startswith("Kokó"))
    assert koko["counts"]["customer_messages"] >= 5, koko
    assert koko["counts"]["answered_in_chatwoot"] > 0, koko
    # Campaign runs sent e-mails to the private SMTP server (each at most once, above).
    campaigns = next(c for c in report["checks"] if c["name"].startswith("campaigns"))
    assert campaigns["counts"]["runs"] >= 3, campaigns
    assert campaigns["counts"]["smtp_received"] > 0, campaigns
    assert {f["fault"] for f in report["faults"]} >= {
        "worker SIGKILL", "Redis restart", "PostgreSQL restart", "Twenty sandbox down",
        "Chatwoot 30% 5xx/429/timeouts"}
