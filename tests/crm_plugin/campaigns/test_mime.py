"""The batch sender's own MIME writer against Django's builder: the same headers and parts
once parsed, quoted-printable for over-long lines, and lines starting with a dot intact
through a real SMTP server (dot-stuffing)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

import pytest

from apps.crm_plugin.campaigns.mime import encode_header, format_address, message_bytes
from apps.crm_plugin.campaigns.rendering import RenderedEmail
from apps.crm_plugin.campaigns.sending import SmtpSession, build_message, close_connection

from .smtp_sink import SmtpSink

RENDERED = RenderedEmail(
    subject="Hiányzik nekünk, Árvíztűrő Tükörfúrógép Éva! 10% kedvezmény a következő "
            "bérlésére, csak most",
    html="<p>Tisztelt Árvíztűrő Tükörfúrógép Éva!</p>\n<p>Őszi ajánlat: 18\u00a0000\u00a0Ft</p>",
    text="Tisztelt Árvíztűrő Tükörfúrógép Éva!\n\n.egy pont a sor elején\n.\nÜdvözlettel\n",
    unsubscribe_url="https://erp.kgc.example/email/leiratkozas/abc/",
    one_click_url="https://erp.kgc.example/email/leiratkozas/abc/egy-kattintas/",
)


def _parse(raw: bytes) -> EmailMessage:
    return cast("EmailMessage", message_from_bytes(raw, policy=policy.default))


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return (text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n"))


def test_same_message_as_djangos_builder() -> None:
    ours = _parse(message_bytes(RENDERED, to="eva@example.hu",
                                from_header=format_address("KGC Kölcsönző <noreply@kgc.example>"),
                                message_id="<1@kgc.example>"))
    django = _parse(build_message(RENDERED, "eva@example.hu", "<1@kgc.example>")
                    .message().as_bytes(linesep="\r\n"))
    for header in ("Subject", "To", "Message-ID", "List-Unsubscribe", "List-Unsubscribe-Post",
                   "MIME-Version"):
        assert ours[header] == django[header], header
    assert ours["From"] == "KGC Kölcsönző <noreply@kgc.example>"
    assert ours.get_content_type() == django.get_content_type() == "multipart/alternative"
    assert _parts(ours) == _parts(django)
    assert all(len(line) <= 998 for line in message_bytes(
        RENDERED, to="a@example.hu", from_header="x@example.hu", message_id="<2@x>"
    ).split(b"\r\n"))


def test_over_long_lines_go_quoted_printable() -> None:
    long_line = "árvíztűrő " * 150  # 1 650 octets on one line
    rendered = RenderedEmail("Tárgy", f"<p>{long_line}</p>", long_line + "\n", "", "")
    raw = message_bytes(rendered, to="a@example.hu", from_header="x@example.hu",
                        message_id="<3@x>")
    assert b"Content-Transfer-Encoding: quoted-printable" in raw
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 78
    text, html = _parts(_parse(raw))
    assert text == long_line + "\n" and html.strip() == f"<p>{long_line}</p>"
    assert _parse(raw)["List-Unsubscribe"] is None  # transactional: no unsubscribe


@pytest.fixture
def smtp_here(settings: Any, smtp: SmtpSink) -> Iterator[SmtpSink]:
    close_connection()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield smtp


def test_lines_starting_with_a_dot_survive_smtp(smtp_here: SmtpSink) -> None:
    with SmtpSession() as session:
        raw = session.message(RENDERED, "pont@example.hu", "<4@kgc.example>")
        session.send("pont@example.hu", raw, RENDERED, "<4@kgc.example>")
    (received,) = smtp_here.handler.received
    text, _ = _parts(_parse(received.raw))
    assert text == RENDERED.text


def _encode_header_by_characters(value: str) -> str:
    """The former writer (one character at a time), as the reference."""
    value = " ".join(value.split())
    words, chunk = [], bytearray()
    for char in value:
        octets = char.encode()
        if len(chunk) + len(octets) > 45:
            words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=")
            chunk = bytearray()
        chunk += octets
    words.append(f"=?utf-8?b?{base64.b64encode(chunk).decode('ascii')}?=")
    return "\r\n ".join(words)


@pytest.mark.parametrize("subject", [
    RENDERED.subject, "ő", "a" * 44 + "ű" + "b" * 60, "€" * 40 + "😀" * 13 + "x",
    "Tárgy  több\tszóközzel\r\nés sortöréssel", "x" * 2000,
])
def test_encoded_subject_is_cut_at_whole_characters(subject: str) -> None:
    encoded = encode_header(subject, "Subject")
    assert encoded == _encode_header_by_characters(subject)
    assert all(len(word) <= 75 for word in encoded.split("\r\n "))
    parsed = _parse(f"Subject: {encoded}\r\n\r\n".encode())
    assert parsed["Subject"] == " ".join(subject.split())
