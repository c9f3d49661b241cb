"""Building the MIME message and handing it to the SMTP server (Django's e-mail framework,
configured from EMAIL_URL), with every SMTP failure sorted into retry or give up.

Each worker thread keeps its SMTP connection open between e-mails: a campaign is
thousands of messages, and a new TCP + EHLO (+ TLS) handshake each time would cost more
than the message itself. Any failure closes it; the next e-mail opens a fresh one.
"""

from __future__ import annotations

import contextlib
import email.policy
import smtplib
import threading
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import SafeMIMEMultipart, SafeMIMEText

from .errors import EmailRejected, EmailTemporarilyRefused
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


__all__ = ("CampaignEmail", "build_message", "close_connection", "message_domain", "send_message")
