"""Starting a sandbox server (sandboxes/<name>) in its own process for a benchmark."""

from __future__ import annotations

import subprocess
import sys
import time

import requests

from bench.bench_database import REPO


def start_sandbox(
    module: str, port: int, *arguments: str, health_path: str = "/healthz"
) -> subprocess.Popen[bytes]:
    """`python -m <module> --port <port> <arguments>`, returned once `health_path`
    answers; killed (never left behind) if it does not within 20 s."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port), *arguments],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}{health_path}", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    process.wait(timeout=10)
    raise RuntimeError(f"the sandbox {module} did not start")
