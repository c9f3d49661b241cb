"""An accepted webhook whose processing message is lost with its process is still processed.

The inbox answers 200 once the row is committed, and hands the processing message to the
per-process background publisher (dispatch.py), which sends it a moment later, batched
with others. A web process killed in that moment takes the message with it; the row is
what counts: it is `received` and due, and the sweeper (beat, every minute) publishes it.
Here a real child process accepts a webhook and dies with the message still queued.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from apps.plugin_manager.eventbus import sweeper
from apps.plugin_manager.eventbus.inbox.processing import process_inbound_delivery
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.support_plugin.chatwoot.webhooks import SIGNATURE as CHATWOOT_SIGNATURE
from tests.infrastructure.processes import worker_environment

from .contracts import chatwoot_webhook
from .helpers import enable_gamma

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "lost-publish-secret"
REPO = Path(__file__).resolve().parents[3]

# Runs in the child: accept one webhook through the WSGI stack, then die at once (no
# atexit, no flush), the way a killed gunicorn worker does. The publisher lingers long
# enough here that the kill always comes first.
CHILD = """
import os, sys
import django
django.setup()
from apps.plugin_manager.eventbus import dispatch
dispatch.LINGER_SECONDS = 60.0
from django.test import Client
body = sys.stdin.buffer.read()
headers = {name: os.environ["HOOK_" + name.replace("-", "_").upper()]
           for name in ("X-Chatwoot-Signature", "X-Chatwoot-Timestamp", "X-Chatwoot-Delivery")}
response = Client().post(os.environ["HOOK_URL"], data=body, content_type="application/json",
                         headers=headers)
print(response.status_code, dispatch.background._pending, flush=True)
os._exit(0)
"""


def test_a_delivery_whose_publish_died_with_its_process_is_swept(tenant_tx, own_published_broker):
    enable_gamma("http://127.0.0.1:9/hook", chatwoot_secret=SECRET, chatwoot_account_id=3)
    broker = redis.Redis.from_url(own_published_broker.url)
    broker.delete("celery")
    body = chatwoot_webhook("message_created")
    stamp = str(int(time.time()))
    delivery = str(uuid.uuid4())
    env = {
        **worker_environment(own_published_broker.url),
        "PYTHONPATH": str(REPO),
        "HOOK_URL": f"/webhooks/gamma-chatwoot/{tenant_tx.slug}/",
        "HOOK_X_CHATWOOT_SIGNATURE": CHATWOOT_SIGNATURE.sign(SECRET, stamp, body),
        "HOOK_X_CHATWOOT_TIMESTAMP": stamp,
        "HOOK_X_CHATWOOT_DELIVERY": delivery,
    }
    child = subprocess.run([sys.executable, "-c", CHILD], input=body, env=env, cwd=REPO,
                           capture_output=True, timeout=120, check=False)
    assert child.returncode == 0, child.stderr.decode()[-3000:]
    status, pending = child.stdout.split()[-2:]
    assert status == b"200"  # acknowledged: the row was committed
    assert pending == b"1"  # and its message was still with the publisher when it died

    stored = InboundDelivery.objects.get(delivery_id=delivery)
    assert stored.status == InboundDelivery.Status.RECEIVED
    assert broker.llen("celery") == 0  # the message died with the process

    assert sweeper.sweep()["inbound"] == 1  # grace 0 in the tests (fast_eventbus)
    (message,) = broker.lrange("celery", 0, -1)
    envelope = json.loads(message)
    assert envelope["headers"]["task"] == "eventbus.process_inbound"
    args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
    assert args == [stored.pk]
    broker.delete("celery")

    # What the worker does with that message.
    process_inbound_delivery(stored.pk)
    stored.refresh_from_db()
    assert stored.status == InboundDelivery.Status.PROCESSED
