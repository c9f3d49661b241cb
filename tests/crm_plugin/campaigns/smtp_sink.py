"""A real SMTP server for the tests (aiosmtpd on a free port) that records what it
accepts and can be told to answer the next DATA commands with 451 or 550, to refuse one
recipient, or to drop the connection at a recipient (before the message's data) or right
after a message's data (having taken the message, before answering)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections import deque
from collections.abc import Callable
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
    # Recipient -> the reply to its RCPT command (e.g. "550 5.1.1 No such user").
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    # Recipients whose RCPT / whose message's end of data drops the connection, once each.
    drop_at_rcpt: set[str] = field(default_factory=set)
    drop_after_data: set[str] = field(default_factory=set)
    # Recipient -> a function run (once) when its RCPT / its DATA arrives, before the
    # answer; in a thread of its own, so it may use the Django ORM.
    on_rcpt: dict[str, Callable[[], None]] = field(default_factory=dict)
    on_data: dict[str, Callable[[], None]] = field(default_factory=dict)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def _run_hook(hook: Callable[[], None] | None) -> None:
        if hook is None:
            return
        errors: list[BaseException] = []

        def run() -> None:
            try:
                hook()
            except BaseException as exc:  # handed to the test below
                errors.append(exc)
            finally:
                from django.db import connection

                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802 - aiosmtpd hook name
                          responses: list[str]) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802 - aiosmtpd hook name
                          rcpt_options: list[str]) -> str:
        self._run_hook(self.on_rcpt.pop(address, None))
        with self.lock:
            if address in self.drop_at_rcpt:
                self.drop_at_rcpt.discard(address)
                server.transport.close()
                return "421 4.4.2 Connection dropped"
            if address in self.refuse_rcpt:
                return self.refuse_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd hook name
        for address in envelope.rcpt_tos:
            self._run_hook(self.on_data.pop(address, None))
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.replies:
                self.refused += 1
                return self.replies.popleft()
            self.received.append(Received(list(envelope.rcpt_tos), bytes(envelope.content)))
            dropped = self.drop_after_data & set(envelope.rcpt_tos)
            if dropped:
                # Taken, but the client never hears so: the uncertain case.
                self.drop_after_data -= dropped
                server.transport.close()
        return "250 Message accepted for delivery"

    def reset(self) -> None:
        with self.lock:
            self.replies.clear()
            self.received.clear()
            self.refused = 0
            self.delay = 0.0
            self.refuse_rcpt.clear()
            self.drop_at_rcpt.clear()
            self.drop_after_data.clear()
            self.on_rcpt.clear()
            self.on_data.clear()
            self.connections = 0

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
