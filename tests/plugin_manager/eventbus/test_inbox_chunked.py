"""Webhooks sent with chunked transfer encoding (no Content-Length) through a real WSGI
server that de-chunks request bodies (werkzeug here; gunicorn behaves the same): the body
is read up to the limit, so an oversized one is 413 and a valid one is accepted."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Iterator

import pytest
from django.core.handlers.wsgi import WSGIHandler
from werkzeug.serving import make_server

from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE
from tests.factories import TenantFactory

from .contracts import chatwoot_webhook
from .helpers import enable_gamma

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SECRET = "chunked-secret-Vb7q"
URL = "/webhooks/gamma-chatwoot/franchise-pecs/"


@pytest.fixture
def server() -> Iterator[int]:
    httpd = make_server("127.0.0.1", 0, WSGIHandler(), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port
    httpd.shutdown()


@pytest.fixture
def gamma(transactional_db: None) -> None:
    TenantFactory(slug="franchise-pecs", name="Pécs")
    enable_gamma("http://127.0.0.1:9/hook", chatwoot_secret=SECRET, chatwoot_account_id=3)


def _chunks(body: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _post_chunked(port: int, body: bytes) -> tuple[int, dict[str, object]]:
    ts = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        "X-Chatwoot-Signature": CHATWOOT_SIGNATURE.sign(SECRET, ts, body),
        "X-Chatwoot-Timestamp": str(ts),
        "X-Chatwoot-Delivery": f"chunked-{len(body)}",
    }
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", URL, body=_chunks(body), headers=headers,
                           encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def test_a_valid_chunked_webhook_is_accepted(server: int, gamma: None) -> None:
    body = chatwoot_webhook("message_created")
    status, answer = _post_chunked(server, body)
    assert (status, answer) == (200, {"status": "accepted"})
    stored = InboundDelivery.objects.get()
    assert bytes(stored.raw_body) == body


def test_a_2_mib_chunked_webhook_is_413_not_an_empty_body(server: int, gamma: None) -> None:
    payload = json.loads(chatwoot_webhook("message_created"))
    payload["content"] = "x" * (2 * 1024 * 1024)
    status, answer = _post_chunked(server, json.dumps(payload).encode())
    assert (status, answer) == (413, {"error": "body_too_large"})
    assert not InboundDelivery.objects.filter(status=InboundDelivery.Status.RECEIVED).exists()
