"""The worker liveness decision (apps.plugin_manager.eventbus.liveness) against a real
private redis-server and the test database, the `worker_liveness` command's exit codes,
and the supervisor loop's restart rule (apps.plugin_manager.eventbus.worker_supervisor).

The clock is passed in (`now=`): a stall window is crossed without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import redis
from django.core.management import call_command
from django.utils import timezone

from apps.plugin_manager.eventbus import liveness, worker_progress
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.eventbus.worker_supervisor import LivenessSupervisor
from tests.factories import PartnerFactory
from tests.infrastructure.broker import point_celery_at
from tests.infrastructure.processes import RedisServer, free_port
from tests.infrastructure.waiting import wait_for

from .helpers import enable_gamma

pytestmark = pytest.mark.django_db
NODE = "liveness-test@localhost"
STALL = 60.0
T0 = 1_800_000_000.0


@pytest.fixture(scope="module")
def liveness_broker(redis_factory: Callable[[], RedisServer]) -> RedisServer:
    return redis_factory()


@pytest.fixture
def client(liveness_broker: RedisServer) -> Iterator[redis.Redis]:
    """The broker the checked worker uses; this process's Celery app points there too,
    so `worker_progress.record_progress` writes where a worker would."""
    point_celery_at(liveness_broker.url)
    connection = redis.Redis.from_url(liveness_broker.url)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def check(client: redis.Redis, now: float, count_database: bool = False) -> liveness.Verdict:
    return liveness.check(
        client, node=NODE, stall_seconds=STALL, now=now, count_database=count_database
    )


def queue_message(client: redis.Redis, count: int = 1) -> None:
    for _ in range(count):
        client.lpush(liveness.DEFAULT_QUEUE, b'{"body": "..."}')


def progress() -> None:
    assert worker_progress.record_progress(NODE, force=True)


def test_queued_and_stalled_is_unhealthy(client: redis.Redis) -> None:
    progress()  # the worker did something once, long ago
    queue_message(client, 3)
    first = check(client, T0)
    assert first.healthy and first.queued == 3  # first sight: the window starts now
    assert check(client, T0 + STALL / 2).healthy
    stalled = check(client, T0 + STALL + 1)
    assert not stalled.healthy
    assert "no progress for 61s" in stalled.reason


def test_stalled_without_any_progress_token_is_unhealthy(client: redis.Redis) -> None:
    # After a broker restart without persistence the token is gone with the messages; the
    # sweeper re-publishes and a stuck worker never writes a new one.
    queue_message(client)
    assert check(client, T0).progress is None
    assert not check(client, T0 + STALL).healthy


def test_queued_and_progressing_is_healthy(client: redis.Redis) -> None:
    queue_message(client, 50)
    progress()
    assert check(client, T0).healthy
    for minute in range(1, 5):  # a long backlog, but the worker keeps taking messages
        progress()
        verdict = check(client, T0 + minute * STALL)
        assert verdict.healthy, verdict.describe()
        assert verdict.reason == "work waits, worker progressing"


def test_idle_is_healthy_however_old_the_progress(client: redis.Redis) -> None:
    progress()
    assert check(client, T0).healthy
    assert check(client, T0 + 100 * STALL).healthy
    assert check(client, T0 + 100 * STALL).reason == "nothing waits"


def test_an_emptied_queue_resets_the_watch(client: redis.Redis) -> None:
    queue_message(client)
    check(client, T0)
    client.delete(liveness.DEFAULT_QUEUE)
    assert check(client, T0 + STALL / 2).healthy  # drained: the watch is dropped
    queue_message(client)
    assert check(client, T0 + STALL + 1).healthy  # a new backlog: watched from now


def test_prioritised_messages_count(client: redis.Redis) -> None:
    client.lpush(f"{liveness.DEFAULT_QUEUE}\x06\x169", b"{}")
    assert liveness.queued_messages(client, liveness.DEFAULT_QUEUE) == 1


def test_another_nodes_progress_does_not_hide_a_stalled_node(client: redis.Redis) -> None:
    queue_message(client)
    check(client, T0)
    assert worker_progress.record_progress("other@localhost", force=True)
    assert not check(client, T0 + STALL).healthy
    # Without --node any worker's progress counts (one worker per queue).
    assert liveness.check(client, stall_seconds=STALL, now=T0).healthy
    assert worker_progress.record_progress("other@localhost", force=True)
    assert liveness.check(client, stall_seconds=STALL, now=T0 + STALL).healthy


def test_rows_due_in_the_database_count_as_waiting_work(
    client: redis.Redis, target, tenant, settings
) -> None:
    settings.EVENTBUS_SWEEP_GRACE_SECONDS = 60
    enable_gamma(target.url)
    PartnerFactory(tenant=tenant)
    (delivery,) = Delivery.objects.filter(status=Delivery.Status.PENDING)
    assert check(client, T0, count_database=True).reason == "nothing waits"  # just made
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=STALL + 61)
    )
    assert check(client, T0, count_database=True).database_due == 1
    assert not check(client, T0 + STALL, count_database=True).healthy
    assert check(client, T0 + STALL).healthy  # not counted unless asked for


def test_command_exit_codes(client: redis.Redis, liveness_broker: RedisServer) -> None:
    url = liveness_broker.url
    call_command("worker_liveness", "--broker-url", url, "--node", NODE)  # idle: returns
    queue_message(client)
    call_command("worker_liveness", "--broker-url", url, "--node", NODE, "--stall-seconds", "0")
    with pytest.raises(SystemExit) as stalled:
        call_command(
            "worker_liveness", "--broker-url", url, "--node", NODE, "--stall-seconds", "0"
        )
    assert stalled.value.code == 1
    with pytest.raises(SystemExit) as unknown:
        call_command("worker_liveness", "--broker-url", f"redis://127.0.0.1:{free_port()}/0")
    assert unknown.value.code == 2


def test_a_real_worker_writes_its_progress_when_it_takes_a_task(
    celery_worker, private_broker: RedisServer
) -> None:
    from apps.plugin_manager.eventbus import dispatch

    point_celery_at(private_broker.url)
    broker = redis.Redis.from_url(private_broker.url)
    key = worker_progress.progress_key(celery_worker.worker.node)
    before = broker.get(key)  # written at start-up, and by the tests before this one
    assert before is not None
    time.sleep(worker_progress.MIN_INTERVAL_SECONDS)  # past the write throttle
    assert dispatch.enqueue_deliveries([0]) == 1  # no such row: taken and done at once
    wait_for(lambda: broker.get(key) != before, timeout=30, message="a new progress token")


class FakeWorker:
    def __init__(self) -> None:
        self.alive = True
        self.starts = 0
        self.stops = 0

    def start(self) -> None:
        self.starts += 1
        self.alive = True

    def running(self) -> bool:
        return self.alive

    def stop(self) -> None:
        self.stops += 1
        self.alive = False


def verdict(healthy: bool) -> liveness.Verdict:
    return liveness.Verdict(healthy, "scripted", 1, 0, None, 0.0)


def test_supervisor_restarts_after_consecutive_failed_checks_only() -> None:
    worker = FakeWorker()
    script = iter([False, True, False, False, True])
    supervisor = LivenessSupervisor(worker, lambda: verdict(next(script)), failures_to_restart=2)
    assert [supervisor.tick() is not None for _ in range(5)] == [False] * 3 + [True, False]
    assert (worker.stops, worker.starts, len(supervisor.restarts)) == (1, 1, 1)


def test_supervisor_does_not_judge_a_worker_within_its_start_grace() -> None:
    worker = FakeWorker()
    supervisor = LivenessSupervisor(
        worker, lambda: verdict(False), failures_to_restart=1, start_grace=3600
    )
    supervisor.start_worker()
    assert supervisor.tick() is None and worker.stops == 0


def test_supervisor_restarts_an_exited_worker_and_ignores_a_check_that_cannot_run() -> None:
    worker = FakeWorker()

    def broken() -> liveness.Verdict:
        raise redis.ConnectionError("broker down")

    supervisor = LivenessSupervisor(worker, broken, failures_to_restart=1)
    assert supervisor.tick() is None  # no verdict: restarting would not help
    worker.alive = False
    restart = supervisor.tick()
    assert restart is not None and restart.reason == "the worker process exited"
    assert worker.starts == 1
