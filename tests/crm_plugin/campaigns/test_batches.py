"""Batched sending against a real SMTP server (aiosmtpd): what happens to each e-mail of a
batch when one recipient is refused (5xx or 4xx), when the connection drops before or
after a message's data, when a killed attempt left rows behind, when consent or erasure
intervenes, and when the rate limit grants only part of a batch. The batch is sent in this
process (`send_batch`, the delivery handler's body), so each case is deterministic; the
last test runs a batch through the event bus and a real worker."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction

from apps.crm_plugin.campaigns.batches import (
    CHANGED,
    NO_CONSENT,
    TOMBSTONED,
    UNCERTAIN,
    UNCERTAIN_CONNECTION,
    UNCERTAIN_RESTART,
    raise_for,
    send_batch,
)
from apps.crm_plugin.campaigns.errors import EmailRejected, EmailTemporarilyRefused, RateLimited
from apps.crm_plugin.campaigns.models import Campaign, CampaignKind, CampaignSend
from apps.crm_plugin.campaigns.queueing import run_campaign
from apps.crm_plugin.campaigns.sending import close_connection
from apps.plugin_manager import services
from apps.plugin_manager.eventbus.models import Delivery
from apps.plugin_manager.privacy.models import Tombstone
from apps.plugin_manager.privacy.tombstones import digest
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.tenants.models import Tenant
from tests.infrastructure.processes import WorkerSupervisor
from tests.infrastructure.waiting import wait_for

from .conftest import PLUGIN
from .smtp_sink import SmtpSink

S = CampaignSend.Status
PLENTY = 1_000_000  # rate limit per minute that never holds a batch back


@pytest.fixture
def smtp_here(transactional_db: None, settings: Any, smtp: SmtpSink) -> Iterator[SmtpSink]:
    """This process sends to the test server (the worker has its own EMAIL_URL)."""
    close_connection()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    cache.clear()  # fresh rate-limit buckets
    yield smtp
    close_connection()


def _win_back() -> Campaign:
    campaign, _ = Campaign.objects.get_or_create(
        kind=CampaignKind.WIN_BACK, defaults={"name": "Visszacsábító", "discount_percent": 10})
    return campaign


def _batch(partners: list[Partner]) -> list[int]:
    """Rows as the selection queues them (no event: the test sends them itself)."""
    campaign = _win_back()
    sends = CampaignSend.objects.bulk_create(
        CampaignSend(campaign=campaign, tenant_id=p.tenant_id, partner=p,
                     occasion_key="batch-test", context={"last_rental_date": "2026-01-15"})
        for p in partners)
    return [send.pk for send in sends]


def _statuses(ids: list[int]) -> list[tuple[str, str]]:
    rows = dict(CampaignSend.objects.filter(pk__in=ids).values_list("pk", "status"))
    errors = dict(CampaignSend.objects.filter(pk__in=ids).values_list("pk", "error"))
    return [(rows[pk], errors[pk]) for pk in ids]


def _received(smtp: SmtpSink) -> Counter[str]:
    return Counter(r for item in smtp.handler.received for r in item.rcpt_tos)


def _send(ids: list[int], tenant: Tenant, per_minute: int = PLENTY) -> Any:
    return send_batch(ids, tenant_id=tenant.pk, per_minute=per_minute)


def test_one_refused_recipient_fails_alone(smtp_here: SmtpSink, tenant: Tenant,
                                           make_partner: Callable[..., Partner]) -> None:
    partners = [make_partner(f"Ügyfél {i}") for i in range(3)]
    smtp_here.handler.refuse_rcpt[partners[1].email] = "550 5.1.1 Mailbox unavailable"
    ids = _batch(partners)

    result = _send(ids, tenant)

    assert _statuses(ids) == [(S.SENT, ""), (S.FAILED, "SMTP 550: 5.1.1 Mailbox unavailable"),
                              (S.SENT, "")]
    assert _received(smtp_here) == Counter({partners[0].email: 1, partners[2].email: 1})
    assert smtp_here.handler.connections == 1  # the refusal did not cost the connection
    with pytest.raises(EmailRejected, match="550"):
        raise_for(result)  # the delivery is dead: nothing of it waits, one was rejected
    sent = CampaignSend.objects.get(pk=ids[2])
    assert sent.sent_at is not None and sent.message_id and sent.subject.startswith("Hiány")


def test_4xx_requeues_only_that_send(smtp_here: SmtpSink, tenant: Tenant,
                                     make_partner: Callable[..., Partner]) -> None:
    partners = [make_partner(f"Ügyfél {i}") for i in range(3)]
    smtp_here.handler.refuse_rcpt[partners[1].email] = "451 4.3.0 Try again later"
    ids = _batch(partners)

    result = _send(ids, tenant)
    assert [status for status, _ in _statuses(ids)] == [S.SENT, S.PENDING, S.SENT]
    assert _statuses(ids)[1][1] == "SMTP 451: 4.3.0 Try again later"
    with pytest.raises(EmailTemporarilyRefused):
        raise_for(result)  # the delivery is retried ...

    smtp_here.handler.refuse_rcpt.clear()
    retry = _send(ids, tenant)  # ... and finds only the re-queued row
    raise_for(retry)
    assert retry.counts == Counter({S.SENT: 1})
    assert [status for status, _ in _statuses(ids)] == [S.SENT] * 3
    assert _received(smtp_here) == Counter({p.email: 1 for p in partners})


def test_connection_lost_before_the_data_is_sent_again_once(
        smtp_here: SmtpSink, tenant: Tenant, make_partner: Callable[..., Partner]) -> None:
    partners = [make_partner(f"Ügyfél {i}") for i in range(4)]
    smtp_here.handler.drop_at_rcpt.add(partners[1].email)
    ids = _batch(partners)

    result = _send(ids, tenant)

    # The server never had the dropped message: it waits for the retry; the batch went on
    # over a new connection.
    assert [status for status, _ in _statuses(ids)] == [S.SENT, S.PENDING, S.SENT, S.SENT]
    assert smtp_here.handler.connections == 2
    with pytest.raises(EmailTemporarilyRefused, match="SMTP connection"):
        raise_for(result)
    raise_for(_send(ids, tenant))
    assert [status for status, _ in _statuses(ids)] == [S.SENT] * 4
    assert _received(smtp_here) == Counter({p.email: 1 for p in partners})


def test_connection_lost_after_the_data_is_uncertain_and_never_resent(
        smtp_here: SmtpSink, tenant: Tenant, make_partner: Callable[..., Partner]) -> None:
    partners = [make_partner(f"Ügyfél {i}") for i in range(4)]
    smtp_here.handler.drop_after_data.add(partners[1].email)
    ids = _batch(partners)

    raise_for(_send(ids, tenant))
    raise_for(_send(ids, tenant))  # a retry of the delivery changes nothing

    assert _statuses(ids) == [(S.SENT, ""), (S.FAILED, UNCERTAIN_CONNECTION), (S.SENT, ""),
                              (S.SENT, "")]
    # The server took it once; nobody got anything twice, nothing was left out.
    assert _received(smtp_here) == Counter({p.email: 1 for p in partners})


def test_server_unreachable_leaves_the_batch_pending(
        smtp_here: SmtpSink, settings: Any, tenant: Tenant,
        make_partner: Callable[..., Partner]) -> None:
    from .smtp_sink import free_port

    settings.EMAIL_PORT = free_port()  # nobody listens there
    partners = [make_partner(f"Ügyfél {i}") for i in range(3)]
    ids = _batch(partners)

    result = _send(ids, tenant)

    assert [status for status, _ in _statuses(ids)] == [S.PENDING] * 3
    assert all(error.startswith("SMTP connection") for _, error in _statuses(ids))
    with pytest.raises(EmailTemporarilyRefused, match="SMTP connection"):
        raise_for(result)
    settings.EMAIL_PORT = smtp_here.port  # back: the retry sends each once
    raise_for(_send(ids, tenant))
    assert _received(smtp_here) == Counter({p.email: 1 for p in partners})


def test_rows_left_by_a_killed_attempt(smtp_here: SmtpSink, tenant: Tenant,
                                       make_partner: Callable[..., Partner]) -> None:
    partners = [make_partner(f"Ügyfél {i}") for i in range(4)]
    ids = _batch(partners)
    # Killed inside an SMTP transaction; claimed but never on the wire; claimed before the
    # database's current start (its "sending" mark may have been lost); untouched.
    CampaignSend.objects.filter(pk=ids[0]).update(status=S.SENDING,
                                                  claimed_at=datetime.now(UTC))
    CampaignSend.objects.filter(pk=ids[1]).update(status=S.CLAIMED,
                                                  claimed_at=datetime.now(UTC))
    CampaignSend.objects.filter(pk=ids[2]).update(status=S.CLAIMED,
                                                  claimed_at=datetime(2000, 1, 1, tzinfo=UTC))

    result = _send(ids, tenant)

    assert _statuses(ids) == [(S.FAILED, UNCERTAIN), (S.SENT, ""),
                              (S.FAILED, UNCERTAIN_RESTART), (S.SENT, "")]
    assert _received(smtp_here) == Counter({partners[1].email: 1, partners[3].email: 1})
    assert result.counts == Counter({"uncertain": 2, S.SENT: 2})
    raise_for(result)  # uncertain rows are settled; the delivery succeeded


def test_consent_and_erasure_are_checked_at_send_time(
        smtp_here: SmtpSink, tenant: Tenant, make_partner: Callable[..., Partner]) -> None:
    withdrawn, erased_address, fine = (make_partner(f"Ügyfél {i}") for i in range(3))
    ids = _batch([withdrawn, erased_address, fine])
    # After queueing: consent withdrawn; the address is an erased person's (tombstone).
    Partner.objects.filter(pk=withdrawn.pk).update(marketing_consent=False)
    Tombstone.objects.create(tenant=tenant, kind=Tombstone.Kind.EMAIL,
                             digest=digest(Tombstone.Kind.EMAIL, erased_address.email.upper()))

    raise_for(_send(ids, tenant))

    assert _statuses(ids) == [(S.SKIPPED, NO_CONSENT), (S.SKIPPED, TOMBSTONED), (S.SENT, "")]
    assert _received(smtp_here) == Counter({fine.email: 1})


def test_partner_changed_after_the_claim_is_not_sent(
        smtp_here: SmtpSink, tenant: Tenant, make_partner: Callable[..., Partner]) -> None:
    partners = [make_partner(f"Ügyfél {i}") for i in range(3)]
    ids = _batch(partners)
    # While the first e-mail is on the wire the batch has claimed every row; the second
    # partner withdraws consent now, before that e-mail's "sending" mark.
    def withdraw() -> None:
        Partner.objects.filter(pk=partners[1].pk).update(marketing_consent=False)

    smtp_here.handler.on_rcpt[partners[0].email] = withdraw

    result = _send(ids, tenant)

    assert _statuses(ids) == [(S.SENT, ""), (S.PENDING, CHANGED), (S.SENT, "")]
    assert _received(smtp_here) == Counter({partners[0].email: 1, partners[2].email: 1})
    assert smtp_here.handler.connections == 1  # RSET ended that transaction, not the session
    assert result.counts == Counter({S.SENT: 2, "requeued": 1})


def test_sending_mark_is_committed_before_the_data_when_the_database_is_slow(
        smtp_here: SmtpSink, tenant: Tenant, make_partner: Callable[..., Partner]) -> None:
    """The mark travels with MAIL FROM and RCPT TO; DATA waits for its commit. Here the
    second e-mail's mark is held back by a row lock for half a second: when its data
    reaches the server, the row must already be "sending" (a worker killed now must
    leave it uncertain, not "claimed", which would be sent again)."""
    partners = [make_partner(f"Ügyfél {i}") for i in range(2)]
    ids = _batch(partners)
    locked = threading.Event()
    at_data: list[str] = []

    def hold_the_row() -> None:
        try:
            with transaction.atomic():
                list(CampaignSend.objects.select_for_update().filter(pk=ids[1]))
                locked.set()
                time.sleep(0.5)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)

    def lock_after_the_claim() -> None:
        holder.start()
        assert locked.wait(10)

    smtp_here.handler.on_rcpt[partners[0].email] = lock_after_the_claim
    smtp_here.handler.on_data[partners[1].email] = lambda: at_data.append(
        CampaignSend.objects.get(pk=ids[1]).status)

    raise_for(_send(ids, tenant))
    holder.join()

    assert at_data == [S.SENDING]
    assert _statuses(ids) == [(S.SENT, ""), (S.SENT, "")]
    assert _received(smtp_here) == Counter({p.email: 1 for p in partners})


def test_rate_limit_grants_part_of_a_batch(smtp_here: SmtpSink, tenant: Tenant,
                                           make_partner: Callable[..., Partner]) -> None:
    partners = [make_partner(f"Ügyfél {i}") for i in range(3)]
    ids = _batch(partners)

    result = _send(ids, tenant, per_minute=2)  # a bucket of two

    assert [status for status, _ in _statuses(ids)] == [S.SENT, S.SENT, S.PENDING]
    with pytest.raises(RateLimited) as raised:
        raise_for(result)
    assert raised.value.retry_after is not None and 0 < raised.value.retry_after <= 30.5
    assert sum(_received(smtp_here).values()) == 2


def test_a_batch_through_the_worker_one_refused(
        worker: WorkerSupervisor, smtp: SmtpSink, tenant: Tenant,
        make_partner: Callable[..., Partner], make_rental: Callable[..., Rental]) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.crm_plugin.campaigns.selection import months_before

    services.update_settings(PLUGIN, None, {"campaign_send_batch_size": 3})
    start = months_before(timezone.localdate(), 7)
    partners = []
    for i in range(3):
        partner = make_partner(f"Köteg Ügyfél {i}")
        make_rental(partner, start, start + timedelta(days=2))
        partners.append(partner)
    smtp.handler.refuse_rcpt[partners[1].email] = "550 5.1.1 Mailbox unavailable"

    assert run_campaign(_win_back()).queued == 3
    delivery = wait_for(lambda: Delivery.objects.filter(
        event__type="campaign.send_due", status=Delivery.Status.DEAD).first(),
        message="the batch's delivery finished")
    assert Delivery.objects.filter(event__type="campaign.send_due").count() == 1  # one batch
    assert delivery.attempts == 1 and "550" in delivery.last_error
    sends = {s.partner_id: s for s in CampaignSend.objects.all()}
    assert [sends[p.pk].status for p in partners] == [S.SENT, S.FAILED, S.SENT]
    time.sleep(0.3)
    assert _received(smtp) == Counter({partners[0].email: 1, partners[2].email: 1})


def test_received_batch_messages_parse(smtp_here: SmtpSink, tenant: Tenant,
                                       make_partner: Callable[..., Partner]) -> None:
    partner = make_partner("Árvíztűrő Tükörfúrógép Éva")
    ids = _batch([partner])
    raise_for(_send(ids, tenant))
    send = CampaignSend.objects.get(pk=ids[0])
    (received,) = smtp_here.handler.received
    message = message_from_bytes(received.raw, policy=policy.default)
    assert message["Subject"] == send.subject and "Árvíztűrő" in send.subject
    assert message["Message-ID"] == send.message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert text.get_content().replace("\r\n", "\n") == send.body_text
    assert html.get_content().replace("\r\n", "\n").strip() == send.body_html
