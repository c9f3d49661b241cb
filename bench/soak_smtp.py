"""The soak run's private SMTP server: aiosmtpd on a loopback port, in a process of its own
(the stack starts it and stops it by PID), accepting every message and appending one JSON
line per accepted message (its Message-ID and recipients) to a file, flushed at once, so
the end checks can compare what the server really took with the CampaignSend rows.

    python -m bench.soak_smtp --port PORT --out PATH
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, out: Path) -> None:
        self.out = out.open("a", encoding="utf-8")
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        headers = BytesHeaderParser().parsebytes(bytes(envelope.content))
        line = json.dumps({"message_id": str(headers.get("Message-ID") or "").strip(),
                           "to": list(envelope.rcpt_tos)})
        with self.lock:
            # Written before the 250: a message the client believes taken is on file.
            self.out.write(line + "\n")
            self.out.flush()
        return "250 Message accepted for delivery"


def read_received(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.soak_smtp")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per SMTP command
    controller = Controller(Recorder(args.out), hostname="127.0.0.1", port=args.port)
    controller.start()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    while not stopping.wait(1.0):  # a timed wait: the signal handler runs between waits
        pass
    controller.stop()


if __name__ == "__main__":
    main()
