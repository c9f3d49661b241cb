"""Small pieces with rules of their own: error classification, backoff, publishing
coalescence, external references."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from apps.plugin_manager.eventbus.dispatch import _RecordingProducer, coalesce
from apps.plugin_manager.eventbus.errors import (
    PermanentDeliveryError,
    TransientDeliveryError,
    classify_http_status,
    parse_retry_after,
)
from apps.plugin_manager.eventbus.external_refs import (
    find_ref,
    link,
    mark_deleted,
    refs_for_external_id,
)
from apps.plugin_manager.eventbus.models import SyncStatus
from apps.plugin_manager.eventbus.retry_policy import retry_delay
from tests.factories import PartnerFactory


@pytest.mark.parametrize(
    ("status", "kind"),
    [(200, None), (204, None), (500, TransientDeliveryError), (502, TransientDeliveryError),
     (503, TransientDeliveryError), (429, TransientDeliveryError), (408, TransientDeliveryError),
     (400, PermanentDeliveryError), (401, PermanentDeliveryError), (404, PermanentDeliveryError),
     (422, PermanentDeliveryError), (301, PermanentDeliveryError)],
)
def test_http_status_classification(status: int, kind: type | None) -> None:
    error = classify_http_status(status)
    assert (type(error) if error else None) is kind
    if error:
        assert error.http_status == status


def test_retry_after_seconds_and_http_date() -> None:
    assert classify_http_status(429, "30").retry_after == 30.0
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now=now) == 90.0
    assert parse_retry_after("soon") is None
    assert classify_http_status(503, None).retry_after is None


def test_backoff_grows_is_capped_and_jittered(settings) -> None:
    settings.EVENTBUS_BACKOFF_BASE_SECONDS = 10
    settings.EVENTBUS_BACKOFF_MAX_SECONDS = 600
    for attempt, (low, high) in {1: (5, 10), 2: (10, 20), 4: (40, 80), 12: (300, 600)}.items():
        delays = [retry_delay(attempt) for _ in range(50)]
        assert all(low <= d <= high for d in delays), (attempt, min(delays), max(delays))
        assert len(set(delays)) > 1  # jitter
    assert retry_delay(1, retry_after=120) == 120  # the remote asked for longer
    assert 5 <= retry_delay(1, retry_after=1) <= 10  # never sooner than the backoff


def test_publisher_coalesces_ids_per_task_in_order() -> None:
    batch = [("eventbus.deliver", 1), ("eventbus.process_inbound", 7),
             ("eventbus.deliver", 2), ("eventbus.deliver_many", [3, 4])]
    assert coalesce(batch) == [
        ("eventbus.deliver_many", [1, 2, 3, 4]),
        ("eventbus.process_inbound", 7),
    ]
    assert coalesce([("eventbus.deliver", 5)]) == [("eventbus.deliver", 5)]


class _KeepsMessages:
    """The part of a kombu producer `send_task` uses: what it would put on the broker."""

    def __init__(self) -> None:
        self.sent: list[tuple[object, dict]] = []
        self.connection = self  # send_task wraps the publish in the connection's error guard

    def _reraise_as_library_errors(self) -> contextlib.nullcontext:
        return contextlib.nullcontext()

    def publish(self, body: object, **options: object) -> None:
        self.sent.append((body, options))


def test_templated_message_is_celerys_own_but_for_id_and_argument() -> None:
    from kgc_erp.celery import app

    kept = _KeepsMessages()
    recorder = _RecordingProducer(kept)
    app.send_task("eventbus.deliver_many", ([1, 2],), producer=recorder)
    assert recorder.recorded is not None
    recorder.recorded.publish(kept, [3, 4, 5])
    recorder.recorded.publish(kept, [6])
    app.send_task("eventbus.deliver_many", ([6],), producer=kept)  # Celery's, for comparison

    (first_body, first), (second_body, second), (third_body, third), (celery_body, celery) = (
        kept.sent
    )
    assert second_body == (([3, 4, 5],), *first_body[1:])  # type: ignore[misc]
    assert third_body == celery_body == (([6],), *first_body[1:])  # type: ignore[misc]
    ids = {first["headers"]["id"], second["headers"]["id"], third["headers"]["id"]}
    assert len(ids) == 3  # every message has an id of its own
    for options in (second, third):
        assert options["correlation_id"] == options["headers"]["id"]
        assert options["headers"]["root_id"] == options["headers"]["id"]
    assert second["headers"]["argsrepr"] == "([3, 4, 5],)"
    unique = {"id", "root_id"}

    def comparable(options: dict) -> dict:
        headers = {k: v for k, v in options["headers"].items() if k not in unique}
        return {**options, "correlation_id": None, "headers": headers}

    assert comparable(third) == comparable(celery)


def test_a_message_with_countdown_is_not_kept_as_template() -> None:
    from kgc_erp.celery import app

    recorder = _RecordingProducer(_KeepsMessages())
    app.send_task("eventbus.deliver", (1,), producer=recorder, countdown=30)
    assert recorder.recorded is None


@pytest.mark.django_db
def test_external_refs_find_or_create(tenant) -> None:
    partner = PartnerFactory(tenant=tenant)
    assert find_ref("twenty", tenant=tenant, obj=partner) is None
    link("twenty", "c0ffee00", tenant=tenant, obj=partner, data={"kind": "person"})
    ref = find_ref("twenty", tenant=tenant.pk, obj=partner)
    assert (ref.sync_status, ref.external_id, ref.last_error) == (SyncStatus.SYNCED, "c0ffee00", "")
    assert ref.last_synced_at is not None and ref.data == {"kind": "person"}
    assert list(refs_for_external_id("twenty", "c0ffee00")) == [ref]
    assert list(refs_for_external_id("twenty", "c0ffee00", tenant=tenant)) == [ref]
    assert mark_deleted("twenty", tenant=tenant, obj=partner).sync_status == SyncStatus.DELETED
    by_type = find_ref("twenty", tenant=tenant, object_type="partners.partner",
                       object_id=partner.pk)
    assert by_type == ref
    with pytest.raises(ValueError):
        find_ref("twenty", tenant=tenant)


@pytest.mark.django_db
def test_beat_schedules_come_from_the_data_migration() -> None:
    from django_celery_beat.models import PeriodicTask

    sweep = PeriodicTask.objects.get(task="eventbus.sweep")
    assert (sweep.enabled, sweep.interval.every, sweep.interval.period) == (True, 1, "minutes")
    prune = PeriodicTask.objects.get(task="eventbus.prune")
    assert (prune.enabled, prune.crontab.hour, prune.crontab.minute) == (True, "3", "30")
