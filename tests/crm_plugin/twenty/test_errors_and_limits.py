"""Failure classification (retryable vs dead) against the sandbox, and the client-side
rate limiter that keeps a long sync under Twenty's per-workspace limit."""

from __future__ import annotations

import time

import pytest

from apps.crm_plugin.rate_limit import TokenBucket
from apps.crm_plugin.twenty.client import TwentyClient
from apps.crm_plugin.twenty.config import TwentyConfig
from apps.crm_plugin.twenty.errors import (
    TwentyError,
    TwentyRateLimited,
    TwentySchemaMissing,
    TwentyUnauthorized,
    classify_graphql_errors,
)
from apps.plugin_manager.eventbus.errors import PermanentDeliveryError, TransientDeliveryError
from sandboxes.twenty.server import start_sandbox

from .helpers import client_for, control


def _fail(client: TwentyClient) -> TwentyError:
    with pytest.raises(TwentyError) as caught:
        client.find_people({}, first=1)
    return caught.value


def test_limit_reached_is_retryable_with_the_wait_for_one_token(workspace) -> None:
    control(workspace, "POST", "rate-limit", json={"calls_per_minute": 3})
    with client_for(workspace) as client:
        for _ in range(3):
            client.find_people({}, first=1)
        error = _fail(client)
    assert error.message == "Limit reached (3 tokens per 60000 ms)"
    assert error.code == "BAD_USER_INPUT" and error.http_status is None  # HTTP 200
    assert error.retryable and isinstance(error, TwentyRateLimited)
    assert isinstance(error, TransientDeliveryError)
    assert error.retry_after == pytest.approx(20.0)


def test_a_wrong_api_key_is_dead_not_retried(workspace) -> None:
    with TwentyClient(TwentyConfig(workspace.url, "not-the-key")) as client:
        error = _fail(client)
    assert error.code == "UNAUTHENTICATED" and not error.retryable
    assert isinstance(error, TwentyUnauthorized) and isinstance(error, PermanentDeliveryError)


@pytest.mark.parametrize(
    ("mode", "retry_after", "http_status"),
    [("500", None, None), ("429", 1.0, 429), ("limit", 60 / 100_000, None)],
)
def test_server_faults_are_retryable(workspace, mode: str, retry_after: float | None,
                                     http_status: int | None) -> None:  # fmt: skip
    control(workspace, "POST", "faults", json={"mode": mode, "count": 1, "delay": 1})
    with client_for(workspace) as client:
        error = _fail(client)
        client.find_people({}, first=1)  # the fault was used up: the next call works
    assert error.retryable and isinstance(error, TransientDeliveryError)
    assert error.retry_after == (pytest.approx(retry_after) if retry_after else None)
    assert error.http_status == http_status


def test_a_connection_failure_is_retryable() -> None:
    with TwentyClient(TwentyConfig("http://127.0.0.1:9", "key", timeout=2)) as client:
        error = _fail(client)
    assert error.retryable and "connection failed" in error.message


def test_unknown_codes_are_retried_and_bad_input_is_not() -> None:
    assert classify_graphql_errors([{"message": "x", "extensions": {"code": "NEW_CODE"}}]).retryable
    bad = classify_graphql_errors([{"message": "A duplicate entry was detected",
                                    "extensions": {"code": "BAD_USER_INPUT"}}])  # fmt: skip
    assert not bad.retryable


def test_a_missing_field_of_our_model_waits_for_the_bootstrap_but_a_wrong_one_is_dead() -> None:
    ours = classify_graphql_errors([{
        "message": 'Cannot query field "kgcPartnerId" on type "Person".',
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}])
    assert isinstance(ours, TwentySchemaMissing) and ours.retryable
    our_type = classify_graphql_errors([{
        "message": 'Unknown type "RentalRecordFilterInput".',
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}])
    assert isinstance(our_type, TwentySchemaMissing)
    wrong = classify_graphql_errors([{
        "message": 'Cannot query field "email" on type "Person".',
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}])
    assert not wrong.retryable


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_allows_a_burst_then_the_steady_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100, clock=clock, sleep=clock.sleep)
    for _ in range(100):
        bucket.acquire()
    assert clock.slept == []
    for _ in range(50):
        bucket.acquire()
    # 50 more calls at 100/min take 30 s: never faster than the server refills.
    assert clock.now == pytest.approx(30.25, abs=0.05)


def test_token_bucket_backs_off_after_limit_reached() -> None:
    clock = FakeClock()
    bucket = TokenBucket(100, clock=clock, sleep=clock.sleep)
    bucket.penalize(6.0)
    bucket.acquire()
    assert clock.now == pytest.approx(6.85, abs=0.05)


def test_the_client_spaces_calls_to_the_configured_limit() -> None:
    # Its own sandbox: nothing else (a worker finishing an earlier test) takes its tokens.
    # 60/min: a burst of 60, then one call per second; the sandbox never refuses one.
    with start_sandbox(api_key="spacing", calls_per_minute=60, bootstrap=True) as handle:
        # Build the /graphql schema now: the first call must not carry that one-off delay
        # into when the server takes its first token (our margin covers request latency).
        handle.sandbox.core_schema()
        started = time.monotonic()
        bucket = TokenBucket(60)
        with TwentyClient(TwentyConfig(handle.url, "spacing"), bucket=bucket) as client:
            for _ in range(63):
                client.find_people({}, first=1)
        elapsed = time.monotonic() - started
        throttled = control(handle, "GET", "state")["rateLimit"]["throttled"]
    # At most capacity + rate x elapsed calls: 63 calls need at least 3 s, however slow
    # the machine (a slow machine only means the bucket itself waited less).
    assert elapsed >= 2.9
    assert bucket.waited_seconds > 0
    assert throttled == 0
