"""A real SMTP server for the tests (aiosmtpd on a free port) that records what it
accepts and can be told to answer the next DATA commands with 451 or 550."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    rcpt_tos: list[str]
    raw: bytes

    def parsed(self) -> EmailMessage:
        return cast("EmailMessage", message_from_bytes(self.raw, policy=policy.default))


@dataclass
class RecordingHandler:
    """Accepts everything, except that each queued reply answers one DATA command."""

    replies: deque[str] = field(default_factory=deque)
    received: list[Received] = field(default_factory=list)
    refused: int = 0
    delay: float = 0.0  # seconds before answering DATA (a slower server)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.replies:
                self.refused += 1
                return self.replies.popleft()
            self.received.append(Received(list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def reset(self) -> None:
        with self.lock:
            self.replies.clear()
            self.received.clear()
            self.refused = 0
            self.delay = 0.0

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [item for item in self.received if address in item.rcpt_tos]


# aiosmtpd logs every SMTP command at INFO: thousands of lines per test, and slow.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class SmtpSink:
    def __init__(self, port: int | None = None) -> None:
        self.handler = RecordingHandler()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
