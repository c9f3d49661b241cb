"""Running deliveries: claim them, call their subscribers, record the attempts, move on.

Invariants (each one is what makes "no event lost, none applied twice" hold):

- Claiming is one statement: ``SELECT ... FOR UPDATE SKIP LOCKED`` on due, unleased,
  pending rows plus an update setting a lease (``locked_until``, ``lease_token``). Two
  workers never run the same delivery at once, and a worker killed mid-call leaves a lease
  that simply expires, after which the sweeper enqueues the row again.
- A delivery is claimed only when no older pending delivery exists for the same
  subscriber and object, so they run one at a time and in order. The check sits in the
  claiming statement, so a predecessor that finishes concurrently is either seen finished
  (we run) or still pending (we step aside, and the predecessor's finishing statement
  names us as its successor, which it enqueues after committing).
- The subscriber is called outside any transaction (it talks to remote systems); the
  outcome is written afterwards together with the attempt row, and only if our lease is
  still ours.
- Delivery is at-least-once (a worker can die after the remote applied the call but
  before we recorded it); subscribers are idempotent (event id / external refs), which
  turns that into an exactly-once effect.

Rounds. A `deliver_many` message is run in rounds of up to ROUND_SIZE ids: one statement
claims the round (each row checked on its own, so a round never holds two deliveries of
one chain), and the claimed deliveries are called one after the other, each outcome
written (with its attempt row, only where the lease is still the round's, naming the
successor) before the next call, so a worker killed mid-round has made at most one call
it did not record, as with one delivery at a time. A successor that is itself in the
message runs in a later round of it (its predecessor's outcome is committed by then), the
others are enqueued. The lease runs from the round's claim, so a claim is called only
while half its lease is left (the other half is the call's); when that or the message's
time budget runs out, the claimed deliveries not yet called are released in one statement
and handed out again with the rest. What a round costs: a killed worker's unrun claims
wait for their lease instead of the sweep.

The hot path is one claim statement per round, one finish statement per delivery, plus
what the subscriber reads (for outbound webhooks, the rows of a round in one statement).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.utils import timezone

from apps.plugin_manager.eventbus import tuning
from apps.plugin_manager.eventbus.dispatch import enqueue_deliveries
from apps.plugin_manager.eventbus.models import Delivery, DeliveryAttempt
from apps.plugin_manager.eventbus.object_refs import NOT_READ, Current, load_objects
from apps.plugin_manager.eventbus.outbox.claims import (
    DUE_SLACK,
    MAY_RUN_NOW,
    AttemptRecord,
    Claim,
    Finish,
    Finished,
    claim_many,
    finish_many,
)
from apps.plugin_manager.eventbus.outbox.invoke import (
    PostponeDelivery,
    SkipDelivery,
    invoke_subscriber,
)
from apps.plugin_manager.eventbus.outbox.subscribers import is_webhook_subscriber
from apps.plugin_manager.eventbus.retry_policy import classify_failure, short_error

logger = logging.getLogger("kgc.eventbus.delivery")
S = Delivery.Status
Attempt = DeliveryAttempt.Outcome

# Ids claimed (and finished) by one statement each. Small enough that a round's outcomes
# are written soon after its calls and a killed worker strands few leases; large enough
# that the two statements cost little per delivery.
ROUND_SIZE = 25


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRY = "retry"
    DEAD = "dead"
    SKIPPED = "skipped"
    POSTPONED = "postponed"
    NOT_CLAIMED = "not_claimed"  # finished already, not due, running elsewhere, or waiting
    HANDED_OUT = "handed_out"  # the message's time budget ran out: enqueued again


@dataclass(frozen=True)
class _Called:
    """A call's result: what to write, and what to do once it is written."""

    outcome: Outcome
    finish: Finish
    # Re-enqueue after this many seconds: if the outcome was written (retry), or always
    # (postponed: no attempt was made, the row is pending either way).
    schedule_in: float | None = None
    schedule_always: bool = False


@dataclass
class BatchResult:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    handed_out: list[int] = field(default_factory=list)


def claim(delivery_id: int, now: datetime | None = None) -> Claim | None:
    """Lease the delivery if it may run now; None if not (see the module docstring)."""
    _token, claims = claim_many([delivery_id], now)
    return claims[0] if claims else None


def _schedule(delivery_ids: list[int], delay: float) -> None:
    # Short waits become countdown tasks; long ones are left to the sweeper.
    if delivery_ids and delay <= tuning.countdown_limit():
        enqueue_deliveries(delivery_ids, countdown=max(0.0, delay))


def _record(outcome: str, number: int, started_at: datetime, started: float) -> AttemptRecord:
    elapsed = max(0, round((time.monotonic() - started) * 1000))
    return AttemptRecord(outcome, number, started_at, elapsed)


def _current_rows(claims: list[Claim]) -> dict[tuple[str, str], Current]:
    """The rows the round's outbound webhook calls send, one statement per object type
    (each call used to read its own). Read just before the round's calls: a change saved
    while they run has an event of its own, whose delivery runs after this one and sends
    the newer state (deliveries of one object run in order). Plugin handlers read their
    rows themselves."""
    wanted: dict[str, list[str]] = {}
    for c in claims:
        if c.object_id and is_webhook_subscriber(c.subscriber):
            wanted.setdefault(c.object_type, []).append(c.object_id)
    rows: dict[tuple[str, str], Current] = {}
    for object_type, object_ids in wanted.items():
        found = load_objects(object_type, object_ids) if len(object_ids) > 1 else None
        for object_id, obj in (found or {}).items():
            rows[(object_type, object_id)] = obj
    return rows


def _call(c: Claim, current: Current = NOT_READ) -> _Called:
    """Call the subscriber of a claimed delivery and classify what happened."""
    number = c.attempts + 1
    started_at = timezone.now()
    started = time.monotonic()
    try:
        http_status = invoke_subscriber(c.subscriber, c.event, number, c.delivery_id, current)
    except PostponeDelivery as exc:
        delay = tuning.circuit_open_delay()
        finish = Finish(c.delivery_id, S.PENDING, c.attempts, None, short_error(exc),
                        next_attempt_at=timezone.now() + delay)
        return _Called(Outcome.POSTPONED, finish, delay.total_seconds(), schedule_always=True)
    except SkipDelivery as exc:
        attempt = _record(Attempt.SKIPPED, number, started_at, started)
        finish = Finish(c.delivery_id, S.SKIPPED, c.attempts, attempt, short_error(exc))
        return _Called(Outcome.SKIPPED, finish)
    except Exception as exc:  # every handler failure is classified in _failed
        return _failed(c, exc, _record(Attempt.RETRY, number, started_at, started))
    attempt = _record(Attempt.SUCCESS, number, started_at, started)
    finish = Finish(c.delivery_id, S.SUCCEEDED, number, attempt, http_status=http_status)
    return _Called(Outcome.SUCCEEDED, finish)


def _failed(c: Claim, exc: Exception, attempt: AttemptRecord) -> _Called:
    failure = classify_failure(exc, attempt.number)
    log_args = (c.delivery_id, c.subscriber, attempt.number)
    if failure.dead:
        logger.error("eventbus.delivery.dead delivery=%s subscriber=%s attempt=%s: %s",
                     *log_args, failure.error, exc_info=not failure.expected)
        dead = AttemptRecord(Attempt.DEAD, attempt.number, attempt.started_at,
                             attempt.duration_ms)
        finish = Finish(c.delivery_id, S.DEAD, attempt.number, dead, failure.error,
                        failure.http_status)
        return _Called(Outcome.DEAD, finish)
    logger.warning("eventbus.delivery.retry delivery=%s subscriber=%s attempt=%s in=%.1fs: %s",
                   *log_args, failure.delay, failure.error, exc_info=not failure.expected)
    finish = Finish(c.delivery_id, S.PENDING, attempt.number, attempt, failure.error,
                    failure.http_status, timezone.now() + timedelta(seconds=failure.delay))
    return _Called(Outcome.RETRY, finish, failure.delay)


def _unique(ids: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(ids))


def run_deliveries(delivery_ids: Iterable[int], budget: float | None = None) -> BatchResult:
    """Claim and run the deliveries in rounds (see the module docstring). With `budget`
    (seconds), once it is spent after at least one call, the deliveries not yet called are
    handed out again, one message each, so a slow subscriber holds up the others for one
    call at most. Safe to call any number of times for the same ids."""
    deadline = None if budget is None else time.monotonic() + budget
    result = BatchResult()
    waiting = _unique(delivery_ids)  # the message's ids not tried in any round yet
    calls = 0

    def spent() -> bool:
        return deadline is not None and calls > 0 and time.monotonic() > deadline

    while waiting and not spent():
        ids, waiting = waiting[:ROUND_SIZE], waiting[ROUND_SIZE:]
        # A claim is called only while half its lease is left: the lease runs from the
        # claim, and the other half is the call's (a whole lease, when alone).
        call_by = time.monotonic() + tuning.lease().total_seconds() / 2
        token, claims = claim_many(ids)
        claimed = {c.delivery_id for c in claims}
        for d_id in ids:
            if d_id not in claimed:
                result.outcomes[d_id] = Outcome.NOT_CLAIMED
        release: list[int] = []
        rows = _current_rows(claims)
        for c in claims:
            if spent() or (calls > 0 and time.monotonic() > call_by):
                release.append(c.delivery_id)
                continue
            called = _call(c, rows.get((c.object_type, c.object_id), NOT_READ))
            calls += 1
            # Written before the next call: a worker killed mid-round has made at most
            # one call it did not record (made again after the lease, as alone).
            (done,) = finish_many(token, [called.finish]).values()
            waiting = _after_call(called, done, waiting, result)
        if release:
            finish_many(token, [], release)
            result.handed_out.extend(release)
    result.handed_out.extend(waiting)
    for d_id in result.handed_out:
        result.outcomes[d_id] = Outcome.HANDED_OUT
    enqueue_deliveries(result.handed_out)
    return result


def _after_call(
    called: _Called, done: Finished, waiting: list[int], result: BatchResult
) -> list[int]:
    """Once a call's outcome has committed: schedule its retry and hand over to its
    successor; returns the ids left for the message's later rounds."""
    d_id = called.finish.delivery_id
    result.outcomes[d_id] = called.outcome
    if not done.written:
        logger.warning(
            "eventbus.delivery.lease-lost delivery=%s: the call outlived its lease and "
            "another worker took the delivery over",
            d_id,
        )
    if called.schedule_in is not None and (done.written or called.schedule_always):
        _schedule([d_id], called.schedule_in)
    successor = done.successor if done.written else None
    if successor is None or successor in waiting:
        return waiting  # none, or the message still holds it: it runs in its turn
    if result.outcomes.get(successor) == Outcome.NOT_CLAIMED:
        # It stepped aside for this delivery earlier in the message: it runs next round.
        del result.outcomes[successor]
        return [successor, *waiting]
    enqueue_deliveries([successor])
    return waiting


def run_delivery(delivery_id: int) -> Outcome:
    """Claim and run one delivery. Safe to call any number of times for the same id."""
    return run_deliveries([delivery_id]).outcomes[delivery_id]


__all__ = (
    "DUE_SLACK",
    "MAY_RUN_NOW",
    "BatchResult",
    "Claim",
    "Outcome",
    "claim",
    "run_deliveries",
    "run_delivery",
)
