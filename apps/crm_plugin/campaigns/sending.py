"""Building the MIME message and handing it to the SMTP server (Django's e-mail framework,
configured from EMAIL_URL), with every SMTP failure sorted into retry or give up.

`SmtpSession` is the batch sender's connection: one per batch, opened with Django's SMTP
backend (so EMAIL_URL's host, port, TLS and login apply) and then driven command by
command, because what happened to each message must be known exactly:

- a 4xx (or 5xx) answer concerns that message only: the session goes on with the next;
- a connection lost before the end of the message data was written cannot have delivered
  it (the server discards an unfinished DATA): it is safe to send again;
- a connection lost after the data's final dot was written, before the server's answer
  was read, may have delivered it: that one is never sent again (`DeliveryUncertain`).

`send_message` (one Django message over a connection kept per thread) is what the admin's
"send test to me" uses.
"""

from __future__ import annotations

import contextlib
import email.policy
import smtplib
import threading
from collections.abc import Callable
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import SafeMIMEMultipart, SafeMIMEText, sanitize_address

from .errors import EmailRejected, EmailTemporarilyRefused
from .mime import ADDRESS_SPECIALS, format_address, message_bytes
from .rendering import RenderedEmail

_local = threading.local()
# Headers folded by the modern e-mail policy: Django 5.2's default (compat32) folds a long
# encoded subject after an empty first line (a stray leading space when parsed) and puts
# the List-Unsubscribe URL on a line of its own; 998 is RFC 5322's line limit, so the URL
# stays on one line while encoded words are still split at 75 characters.
MIME_POLICY = email.policy.SMTP.clone(max_line_length=998)


class CampaignEmail(EmailMultiAlternatives):
    def message(self) -> SafeMIMEMultipart | SafeMIMEText:
        msg = super().message()
        msg.policy = MIME_POLICY
        return msg


def message_domain() -> str:
    """The right-hand side of our Message-IDs: the sender's domain."""
    address = settings.DEFAULT_FROM_EMAIL.rsplit("<", 1)[-1].rstrip(">")
    return address.rpartition("@")[2] or "kgc.example"


def build_message(rendered: RenderedEmail, to: str, message_id: str | None = None,
                  connection: BaseEmailBackend | None = None) -> EmailMultiAlternatives:
    """Plain text with an HTML alternative; the RFC 8058 headers on marketing e-mails."""
    headers = {"Message-ID": message_id or make_msgid(domain=message_domain())}
    if rendered.one_click_url:
        headers["List-Unsubscribe"] = f"<{rendered.one_click_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = CampaignEmail(subject=rendered.subject, body=rendered.text, to=[to],
                                     headers=headers, connection=connection)
    message.attach_alternative(rendered.html, "text/html")
    return message


def _connection() -> BaseEmailBackend:
    connection: BaseEmailBackend | None = getattr(_local, "connection", None)
    if connection is None:
        connection = get_connection(fail_silently=False)
        connection.open()
        _local.connection = connection
    return connection


def close_connection() -> None:
    connection: BaseEmailBackend | None = getattr(_local, "connection", None)
    _local.connection = None
    if connection is not None:
        # A broken connection is dropped either way.
        with contextlib.suppress(Exception):
            connection.close()


def _smtp_failure(code: int, reason: str) -> Exception:
    text = f"SMTP {code}: {reason}"
    if 400 <= code < 500:
        return EmailTemporarilyRefused(text)
    return EmailRejected(text)


def _reason(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def send_message(message: EmailMultiAlternatives) -> None:
    """Send one message; raises EmailTemporarilyRefused (retry) or EmailRejected (final)."""
    try:
        message.connection = _connection()
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        close_connection()
        code, raw = next(iter(exc.recipients.values()))
        raise _smtp_failure(code, _reason(raw)) from exc
    except smtplib.SMTPResponseException as exc:
        close_connection()
        raise _smtp_failure(exc.smtp_code, _reason(exc.smtp_error)) from exc
    except (smtplib.SMTPException, OSError) as exc:
        # Disconnected, refused, timed out: the server may be back in a moment.
        close_connection()
        raise EmailTemporarilyRefused(f"SMTP connection: {exc}") from exc


def _path(address: str) -> str:
    """`<addr-spec>` for MAIL FROM / RCPT TO, as smtplib's quoteaddr builds it."""
    if address.isascii() and not (ADDRESS_SPECIALS & set(address)):
        return f"<{address}>"
    return smtplib.quoteaddr(format_address(address))


class DeliveryUncertain(Exception):
    """The connection broke after the message's data was complete: the server may have it."""


class NotMarked(Exception):
    """`before_data` said no (the row's "sending" mark did not take): the transaction was
    ended before DATA, nothing of the message was sent."""


# EMAIL_URL has no timeout by default, and a server that stops answering must not hold a
# batch (and its delivery's lease) forever.
DEFAULT_TIMEOUT_SECONDS = 30.0


class SmtpSession:
    """One SMTP connection for one batch (see the module docstring).

    `send` raises EmailTemporarilyRefused (not delivered, send again later), EmailRejected
    (5xx, final) or DeliveryUncertain (maybe delivered, never again). After a connection
    failure `broken` is true and the next `send` reconnects once; a second failure in the
    same batch leaves the rest for the delivery's retry.
    """

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.is_smtp = isinstance(self.backend, SmtpBackend)
        if self.is_smtp and getattr(self.backend, "timeout", None) is None:
            self.backend.timeout = DEFAULT_TIMEOUT_SECONDS
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.from_header = format_address(self.from_email)
        self.envelope_from = sanitize_address(self.from_email, "utf-8")
        self.envelope_from_path = _path(self.envelope_from)
        self.broken = False
        self.reconnects = 0
        self._smtp: smtplib.SMTP | None = None

    @property
    def usable(self) -> bool:
        """False once the connection broke again after its one reconnect."""
        return not (self.broken and self.reconnects >= 1)

    def __enter__(self) -> SmtpSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is not None or not self.is_smtp:
            with contextlib.suppress(Exception):
                self.backend.close()  # QUIT; a broken connection is dropped either way
        self._smtp = None

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and not self.broken:
            return self._smtp
        if self.broken:
            if self.reconnects >= 1:
                raise EmailTemporarilyRefused("SMTP connection: lost twice in one batch")
            self.reconnects += 1
            self.close()
            self.broken = False
        try:
            self.backend.open()
            smtp = self.backend.connection
            assert smtp is not None
            smtp.ehlo_or_helo_if_needed()
        except (smtplib.SMTPException, OSError) as exc:
            # Unreachable, a refused greeting or login: the server's or our configuration's
            # trouble, never the e-mail's, so never a reason to fail it for good.
            self._lost()
            raise EmailTemporarilyRefused(f"SMTP connection: {exc}") from exc
        self._smtp = smtp
        return smtp

    def _lost(self) -> None:
        self.broken = True
        with contextlib.suppress(Exception):
            self.backend.close()
        self._smtp = None

    def message(self, rendered: RenderedEmail, to: str, message_id: str) -> bytes:
        return message_bytes(rendered, to=to, from_header=self.from_header,
                             message_id=message_id)

    def send(self, to: str, raw: bytes, rendered: RenderedEmail, message_id: str,
             before_data: Callable[[], bool] | None = None) -> None:
        """`before_data` is called after RCPT TO was accepted and before DATA: False (or
        an exception) ends the transaction without sending the message (NotMarked)."""
        if not self.is_smtp:
            # Console, file or memory backends (development, tests of other parts): the
            # message goes through Django as a whole.
            if before_data is not None and not before_data():
                raise NotMarked
            send_message(build_message(rendered, to, message_id, self.backend))
            return
        smtp = self._connection()
        data_written = False
        try:
            code, reply = self._command(smtp, "mail", f"FROM:{self.envelope_from_path}")
            if code != 250:
                raise self._refused(smtp, code, reply)
            code, reply = self._command(smtp, "rcpt", f"TO:{_path(to)}")
            if code not in (250, 251):
                raise self._refused(smtp, code, reply)
            if before_data is not None and not before_data():
                self._reset(smtp)
                raise NotMarked
            smtp.putcmd("data")
            code, reply = smtp.getreply()
            if code != 354:
                raise self._refused(smtp, code, reply)
            # Dot-stuffing (RFC 5321 4.5.2): a dot at the start of any line is doubled.
            data = raw.replace(b"\n.", b"\n..")
            if data.startswith(b"."):
                data = b"." + data
            if not data.endswith(b"\r\n"):
                data += b"\r\n"
            # One write with the final dot: if it fails, the dot's bytes were not all
            # written, so the server cannot have taken the message.
            smtp.send(data + b".\r\n")
            data_written = True
            code, reply = smtp.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._lost()
            if data_written:
                raise DeliveryUncertain(f"SMTP connection lost awaiting the answer: {exc}"
                                        ) from exc
            raise EmailTemporarilyRefused(f"SMTP connection: {exc}") from exc
        if code == 421:  # the server is closing the connection
            self._lost()
        if code != 250:
            raise _smtp_failure(code, _reason(reply))

    @staticmethod
    def _command(smtp: smtplib.SMTP, verb: str, argument: str) -> tuple[int, bytes]:
        # smtplib's mail()/rcpt() parse the address again on every call (a sixth of the
        # per-e-mail CPU); the paths are built once, by `_path`.
        smtp.putcmd(verb, argument)
        return smtp.getreply()

    def _refused(self, smtp: smtplib.SMTP, code: int, reply: bytes) -> Exception:
        """The message is refused before its data: end the transaction, keep the connection
        (unless the server is closing it: 421)."""
        if code == 421:
            self._lost()
        else:
            self._reset(smtp)
        return _smtp_failure(code, _reason(reply))

    def _reset(self, smtp: smtplib.SMTP) -> None:
        """RSET: the transaction ends, the connection stays (unless it is gone)."""
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._lost()


__all__ = ("CampaignEmail", "DeliveryUncertain", "NotMarked", "SmtpSession", "build_message",
           "close_connection", "message_domain", "send_message")
