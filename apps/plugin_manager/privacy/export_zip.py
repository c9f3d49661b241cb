"""The access request's answer: a ZIP with one JSON per system and a Hungarian summary,
stored encrypted on the request for EXPORT_VALID_DAYS."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from apps.plugin_manager import crypto

from .models import PrivacyRequest, PrivacyStep

SUMMARY_NAME = "osszefoglalo.html"


def _summary(request: PrivacyRequest, steps: Sequence[PrivacyStep]) -> str:
    rows = "".join(
        f"<tr><td>{escape(s.system)}</td><td>{escape(s.get_status_display())}</td>"
        f"<td>{escape(s.get_action_display() if s.action else '')}</td>"
        f"<td>{escape(s.system)}.json</td></tr>"
        for s in steps
    )
    received = timezone.localtime(request.received_at).strftime("%Y.%m.%d. %H:%M")
    return (
        "<!doctype html><html lang=\"hu\"><head><meta charset=\"utf-8\">"
        f"<title>Adatkikérés #{request.pk}</title></head><body>"
        f"<h1>Tájékoztatás a tárolt személyes adatokról (kérelem #{request.pk})</h1>"
        f"<p>Beérkezett: {escape(received)}; kérte: {escape(request.requested_by)} "
        f"({escape(request.get_channel_display())}).</p>"
        "<p>A csomag rendszerenként egy JSON fájlt tartalmaz azokról az adatokról, amelyeket "
        "az adott rendszer az összeállítás pillanatában Önről tárolt.</p>"
        "<table border=\"1\" cellpadding=\"4\"><tr><th>Rendszer</th><th>Állapot</th>"
        f"<th>Eredmény</th><th>Fájl</th></tr>{rows}</table>"
        f"<p>Összeállítva: {escape(timezone.localtime().strftime('%Y.%m.%d. %H:%M'))}</p>"
        "</body></html>"
    )


def build_zip(request: PrivacyRequest, steps: Sequence[PrivacyStep],
              parts: Mapping[str, Any]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for system, data in parts.items():
            archive.writestr(f"{system}.json",
                             json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False,
                                        indent=2))
        archive.writestr(SUMMARY_NAME, _summary(request, steps))
    return buffer.getvalue()


def seal_zip(data: bytes) -> bytes:
    return crypto.encrypt(base64.b64encode(data).decode("ascii")).encode("ascii")


def open_zip(stored: bytes | memoryview) -> bytes:
    return base64.b64decode(crypto.decrypt(bytes(stored).decode("ascii")))


__all__ = ("SUMMARY_NAME", "build_zip", "open_zip", "seal_zip")
