"""A worker SIGKILLed in the middle of Kokó's reply: after a restart (and the sweeper) the
customer message is answered, at most once.

The worker here is the test's own, on a broker of its own (the infrastructure's
factories), so killing it never touches the shared one. The sandbox holds the reply's POST
open (``timeout`` fault): with ``apply: after`` Chatwoot has already stored the message
when the worker dies (the outcome the dead worker never learnt), with ``apply: before`` it
has not. Either way the next attempt looks for Kokó's source_id before posting.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from apps.plugin_manager.eventbus import sweeper
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.support_plugin.koko.models import KokoReply
from tests.infrastructure.broker import point_celery_at
from tests.infrastructure.processes import RedisServer, WorkerSupervisor
from tests.infrastructure.waiting import wait_for
from tests.support_plugin.chatwoot.helpers import sandbox_json

from .conftest import Flow
from .helpers import AUTO_TEXT, all_message_webhooks_done, bot_replies, customer_writes, reply_for

SENDING, SENT = KokoReply.SendState.SENDING, KokoReply.SendState.SENT
LEASE_SECONDS = "3"


@pytest.fixture(scope="module")
def crash_broker(redis_factory) -> RedisServer:
    return redis_factory()


@pytest.fixture(scope="module")
def crash_workers(worker_factory, crash_broker: RedisServer) -> WorkerSupervisor:
    # The sandbox holds the POST longer than the read timeout, and the worker is killed
    # long before either ends; short leases so the takeover comes quickly (Kokó's send
    # claim still lasts at least two calls' timeouts: about 24 s here).
    return worker_factory(crash_broker, concurrency=2, DB_CONN_MAX_AGE="0",
                          CHATWOOT_READ_TIMEOUT_SECONDS="8",
                          EVENTBUS_LEASE_SECONDS=LEASE_SECONDS,
                          KOKO_SEND_LEASE_SECONDS=LEASE_SECONDS)


@pytest.fixture
def crash_worker(crash_workers: WorkerSupervisor, crash_broker: RedisServer,
                 transactional_db: None) -> Iterator[WorkerSupervisor]:
    point_celery_at(crash_broker.url)  # the live server's inbox enqueues to this worker
    crash_workers.ensure()
    cache.clear()
    yield crash_workers
    crash_workers.ensure()


def _hold_the_reply(flow: Flow, apply: str) -> None:
    sandbox_json(flow.chatwoot, "POST", "/_sandbox/faults", json={
        "mode": "timeout", "delay": 40, "apply": apply, "count": 1, "methods": ["POST"],
        "paths": r"/conversations/\d+/messages$"})


def _recover(worker: WorkerSupervisor, message_id: int) -> KokoReply:
    worker.ensure()

    def answered() -> KokoReply | None:
        sweeper.sweep()  # beat does this every minute: the dead worker's lease expired
        reply = reply_for(message_id)
        return reply if reply is not None and reply.send_state == SENT else None

    return wait_for(answered, timeout=120, interval=1.0, message="reply sent after restart")


@pytest.mark.parametrize("apply", ["after", "before"])
def test_worker_killed_mid_send_answers_at_most_once(crash_worker: WorkerSupervisor,
                                                     flow: Flow, apply: str) -> None:
    _hold_the_reply(flow, apply)
    sent = customer_writes(flow.chatwoot, AUTO_TEXT)
    display_id, message_id = sent["conversation"]["id"], sent["message"]["id"]
    wait_for(lambda: (reply := reply_for(message_id)) is not None
             and reply.send_state == SENDING, timeout=120, message="send in flight")
    stored_before_kill = None
    if apply == "after":
        # Chatwoot has the message; the worker still waits for the answer
        wait_for(lambda: len(bot_replies(flow.chatwoot, display_id)) == 1,
                 message="message stored by Chatwoot")
        stored_before_kill = bot_replies(flow.chatwoot, display_id)[0]["id"]
    crash_worker.kill()
    assert reply_for(message_id).send_state == SENDING  # the outcome is unknown to us

    reply = _recover(crash_worker, message_id)
    posted = bot_replies(flow.chatwoot, display_id)
    assert len(posted) == 1, posted
    assert reply.chatwoot_message_id == posted[0]["id"]
    if stored_before_kill is not None:
        # found by its source_id, not posted again
        assert posted[0]["id"] == stored_before_kill
    # The dead attempt's claim was taken over (more takeovers are possible when a retry
    # times out on a loaded machine; each one looks before it posts).
    assert reply.send_attempts >= 2, crash_worker.log_tail(120)
    assert KokoReply.objects.filter(message_id=message_id).count() == 1
    wait_for(lambda: (sweeper.sweep() or True) and all_message_webhooks_done(), timeout=60,
             interval=1.0, message="the webhooks finished")
    assert not InboundDelivery.objects.filter(status="failed").exists()
