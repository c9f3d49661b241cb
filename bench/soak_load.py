"""The soak run's fixed-rate open-loop mix.

Each stream has a rate; every operation is due at its slot whether or not the previous
ones have finished (open loop: a stalled product cannot slow the load down and hide its
queue), and its latency is measured from the slot. The total count is fixed in advance
(rate x duration), so the run is bounded in requests as well as in time.

Streams:
- `partner`: a partner's name and e-mail changed and saved (the admin's path: the model's
  save, which records the outbox event in the same transaction); a few new partners;
- `rental`: a rental started or returned through `kgc_erp.rentals.services`;
- `worklog`: a worklog opened or moved one step through `kgc_erp.service.services`;
- `chatwoot`: signed Chatwoot webhooks (`conversation_created` from a known customer: one
  worklog per conversation), some replayed byte for byte, some forged;
- `twenty`: signed Twenty `person.updated` webhooks (a hand edit: one conflict record per
  delivery), replays and forged ones as well;
- `api`: bot API reads (customer by phone, worklog status);
- `campaign`: the expiry reminder campaign run (`run_campaign`, as the admin's "run now"
  and the daily beat do) over the rentals ending tomorrow (half the rentals the `rental`
  stream starts end tomorrow); its e-mails go through the event pipeline to the run's
  private SMTP server;
- `koko`: a customer (a new Chatwoot contact) writes in: the Chatwoot sandbox makes the
  conversation and message (it then delivers its own webhooks to the product as Chatwoot
  does), and the harness sends that message's signed `message_created` webhook as well,
  retried until acknowledged: Kokó must decide once and answer at most once however
  often the message arrives. The texts are the dev set's customer questions (their query
  vectors are in the embedding cache: a decision costs tens of ms, no model load).

A service call that fails because the database is away is tried again, as a clerk would
press Save again; a valid webhook that was not acknowledged (503, no answer) is sent
again, as the senders' retries do. Every attempt is recorded.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .soak_setup import Secrets

# Operations per second of each stream (the whole mix ~6.5/s; 2 shared cores run the
# product, its database, Redis, the sandboxes and this client).
RATES: dict[str, float] = {
    "partner": 0.6,
    "rental": 0.5,
    "worklog": 0.5,
    "chatwoot": 1.2,
    "twenty": 0.5,
    "api": 3.0,
    "koko": 0.06,  # ~3.6 customer messages a minute: Kokó's decisions cost CPU
    "campaign": 1 / 45,  # the expiry reminder run every 45 s (the admin's "run now")
}
REPLAY_SHARE = 0.1  # of valid webhooks, sent again byte for byte later
FORGED_SHARE = 0.08  # of webhook slots, sent with a wrong signature instead
SERVICE_RETRIES = 30  # a clerk presses Save again for up to ~30 s
WEBHOOK_RETRIES = 20  # a sender's retries of an unacknowledged webhook, 2 s apart
DEVSET = Path(__file__).resolve().parent.parent / "apps/support_plugin/koko/devset/messages.jsonl"


def koko_texts() -> list[str]:
    """Kokó's dev set questions (short ones: a customer message, not an essay)."""
    texts = []
    for line in DEVSET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text = str(json.loads(line).get("text") or "")
            if 0 < len(text) <= 300:
                texts.append(text)
    return texts


@dataclass
class KokoMessage:
    """A customer message written into the Chatwoot sandbox for Kokó."""

    message_id: int
    conversation_id: int  # the display id
    delivery_id: str  # the harness's own signed delivery of its message_created


@dataclass
class Sample:
    stream: str
    endpoint: str
    due: float  # seconds since the run started
    latency_ms: float
    status: int  # HTTP status; 0 = no answer; for service calls 200 = committed, 0 = error
    detail: str = ""


@dataclass
class SentWebhook:
    source: str  # "chatwoot" | "twenty"
    kind: str  # "valid" | "replay" | "forged"
    delivery_id: str
    statuses: list[int]
    key: str  # the conversation id (chatwoot) or kgcPartnerId (twenty)
    sent_at: list[float] = field(default_factory=list)

    @property
    def acknowledged(self) -> bool:
        return 200 in self.statuses


class Journal:
    """Everything the load did, for the checks."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.samples: list[Sample] = []
        self.webhooks: list[SentWebhook] = []
        self.service_errors: dict[str, int] = {}
        self.changes: dict[str, int] = {}
        self.koko: list[KokoMessage] = []
        self.koko_failures: list[str] = []  # the sandbox refused to take the message

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)

    def count_change(self, name: str) -> None:
        with self.lock:
            self.changes[name] = self.changes.get(name, 0) + 1

    def service_error(self, name: str) -> None:
        with self.lock:
            self.service_errors[name] = self.service_errors.get(name, 0) + 1


class Http:
    """One keep-alive connection per thread to the product."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.local = threading.local()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        for attempt in range(2):
            connection = getattr(self.local, "connection", None)
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.local.connection = connection
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                connection.close()
                self.local.connection = None
                if attempt == 1:
                    return 0, b""
                # A kept-alive connection the server closed meanwhile: one fresh try.
        return 0, b""


class Load:
    def __init__(self, web_port: int, secrets: Secrets, journal: Journal, seed: int = 13,
                 chatwoot_url: str = "") -> None:
        self.http = Http(web_port)
        self.chatwoot_url = chatwoot_url
        self.koko_texts = koko_texts()
        self.secrets = secrets
        self.journal = journal
        self.random = random.Random(seed)
        self.random_lock = threading.Lock()
        self.started = time.monotonic()
        self.conversation_seq = 500_000
        self.replays: list[tuple[str, bytes, dict[str, str], SentWebhook]] = []
        self.stopping = threading.Event()
        self._partners: list[tuple[int, str]] = []
        self._worklog_numbers: list[str] = []
        self._refresh_lock = threading.Lock()
        self._chatwoot_contacts: dict[int, int] = {}

    # -- scheduling ---------------------------------------------------------------------

    def now(self) -> float:
        return time.monotonic() - self.started

    def run(self, seconds: float, threads: int = 24) -> None:
        """Drive every stream open-loop for `seconds`; returns when all slots were done."""
        slots: list[tuple[float, str]] = []
        for stream, rate in RATES.items():
            count = int(rate * seconds)
            slots += [((i + 0.5) / rate, stream) for i in range(count)]
        slots.sort()
        actions: dict[str, Callable[[float], None]] = {
            "partner": self.partner_change, "rental": self.rental_change,
            "worklog": self.worklog_change, "chatwoot": self.chatwoot_webhook,
            "twenty": self.twenty_webhook, "api": self.api_read,
            "koko": self.koko_message, "campaign": self.campaign_run,
        }
        self.refresh()
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="soak-load") as pool:
            for due, stream in slots:
                delay = self.started + due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(self._guarded, actions[stream], due)
                if stream == "chatwoot" and len(self.replays) > 0 and self._chance(0.1):
                    pool.submit(self._guarded, self.replay_one, due)
        # Any replay still owed is sent before the load ends.
        while self.replays:
            self._guarded(self.replay_one, self.now())

    def _guarded(self, action: Callable[[float], None], due: float) -> None:
        from django.db import connection
        from django.db.utils import DatabaseError, InterfaceError

        for _ in range(SERVICE_RETRIES):
            try:
                action(due)
                return
            except (DatabaseError, InterfaceError):
                # The database went away while the stream picked its object (the service
                # calls themselves retry inside `_service`): nothing was changed yet.
                with contextlib.suppress(Exception):
                    connection.close()
                time.sleep(1)
            except Exception as exc:  # a harness bug must show, not stop the run
                self.journal.add(Sample("harness", type(exc).__name__, due, 0.0, 0,
                                        repr(exc)[:300]))
                return

    def _chance(self, p: float) -> bool:
        with self.random_lock:
            return self.random.random() < p

    def _pick(self, items: list[Any]) -> Any:
        with self.random_lock:
            return self.random.choice(items)

    def refresh(self) -> None:
        """The partners and worklogs the streams pick from (read once, then kept)."""
        from kgc_erp.partners.models import Partner
        from kgc_erp.service.models import Worklog

        with self._refresh_lock:
            self._partners = list(Partner.objects.values_list("pk", "phone"))
            self._worklog_numbers = list(
                Worklog.objects.order_by("-pk").values_list("number", flat=True)[:200])

    # -- service calls ------------------------------------------------------------------

    def _service(self, stream: str, name: str, due: float, call: Callable[[], str]) -> None:
        """Run a service call, again after a database error (the change either committed
        or did not: the database is the record of truth the checks read)."""
        from django.db import close_old_connections
        from django.db.utils import DatabaseError, InterfaceError

        from kgc_erp.state_machine import InvalidTransition

        detail = ""
        status = 0
        for _ in range(SERVICE_RETRIES):
            try:
                detail = call()
                status = 200
                break
            except InvalidTransition as exc:  # a pick that raced another thread: fine
                status, detail = 409, str(exc)
                break
            except (DatabaseError, InterfaceError) as exc:
                self.journal.service_error(name)
                detail = type(exc).__name__
                with contextlib.suppress(Exception):
                    close_old_connections()
                    from django.db import connection

                    connection.close()
                time.sleep(1)
        latency = (self.now() - due) * 1000
        if status == 200:
            self.journal.count_change(name)
        self.journal.add(Sample(stream, f"service {name}", due, latency, status, detail))

    def partner_change(self, due: float) -> None:
        from django.db import transaction

        from kgc_erp.partners.models import Partner
        from kgc_erp.tenants.models import Tenant

        if self._chance(0.08):
            def create() -> str:
                suffix = uuid.uuid4().hex[:8]
                with transaction.atomic():
                    partner = Partner.objects.create(
                        tenant=Tenant.headquarters(), name=f"Soak Új {suffix}",
                        phone=f"+3670{random.randrange(1000000, 9999999):07d}",
                        email=f"new-{suffix}@example.hu")
                with self._refresh_lock:
                    self._partners.append((partner.pk, partner.phone))
                return str(partner.pk)

            self._service("partner", "partner.create", due, create)
            return
        pk, _ = self._pick(self._partners)

        def change() -> str:
            with transaction.atomic():
                partner = Partner.objects.select_for_update().get(pk=pk)
                version = uuid.uuid4().hex[:6]
                base = partner.name.split(" v", 1)[0]
                partner.name = f"{base} v{version}"
                partner.email = f"p{pk}-{version}@example.hu"
                partner.save()
            return f"{pk}:{version}"

        self._service("partner", "partner.save", due, change)

    def rental_change(self, due: float) -> None:
        from django.utils import timezone

        from kgc_erp.rentals import services
        from kgc_erp.rentals.models import Machine, Rental

        open_rentals = list(Rental.objects.filter(
            status__in=(Rental.Status.ACTIVE, Rental.Status.LATE)).values_list("pk", flat=True))
        if open_rentals and (len(open_rentals) > 30 or self._chance(0.45)):
            rental_pk = self._pick(open_rentals)

            def give_back() -> str:
                rental = services.return_rental(Rental(pk=rental_pk))
                return rental.number

            self._service("rental", "rental.return", due, give_back)
            return
        pk, _ = self._pick(self._partners)
        ends_tomorrow = self._chance(0.5)

        def start() -> str:
            busy = Rental.objects.filter(status__in=(Rental.Status.ACTIVE, Rental.Status.LATE))
            machine = Machine.objects.exclude(pk__in=busy.values("machine_id")).order_by("?")[0]
            today = timezone.localdate()
            days = 1 if ends_tomorrow else 3  # tomorrow's: the expiry reminder's
            rental = services.start_rental(Rental(
                partner_id=pk, machine=machine, start_date=today,
                end_date=today + timedelta(days=days)))
            return rental.number

        self._service("rental", "rental.start", due, start)

    WORKLOG_NEXT = {"felveve": "diagnosztika", "diagnosztika": "arajanlat",
                    "arajanlat": "javitas", "javitas": "kesz", "kesz": "atadva"}

    def worklog_change(self, due: float) -> None:
        from kgc_erp.service import services
        from kgc_erp.service.models import Worklog

        # Only the counter's worklogs move: those opened from the harness's Chatwoot
        # webhooks name conversations the Chatwoot sandbox never had (a status message
        # into them is rightly refused there with 404).
        moving = list(Worklog.objects.exclude(status=Worklog.Status.HANDED_OVER)
                      .filter(source=Worklog.Source.COUNTER)
                      .values_list("pk", "status")[:200])
        if moving and (len(moving) > 25 or self._chance(0.7)):
            pk, status = self._pick(moving)
            target = self.WORKLOG_NEXT.get(status)
            if target is None:
                return

            def step() -> str:
                extra: dict[str, Any] = {}
                if target == "arajanlat":
                    extra["quote_amount"] = Decimal("18500")
                if target == "kesz":
                    extra["repair_cost"] = Decimal("21000")
                worklog = services.change_worklog_status(Worklog(pk=pk), target, **extra)
                return f"{worklog.number}:{target}"

            self._service("worklog", "worklog.step", due, step)
            return
        partner_pk, _ = self._pick(self._partners)

        def open_one() -> str:
            worklog = services.open_worklog(Worklog(
                partner_id=partner_pk, machine_type="Bosch sarokcsiszoló",
                issue_description="Nem indul, szikrázik.", source=Worklog.Source.COUNTER))
            with self._refresh_lock:
                self._worklog_numbers.insert(0, worklog.number)
            return worklog.number

        self._service("worklog", "worklog.open", due, open_one)

    def campaign_run(self, due: float) -> None:
        from apps.crm_plugin.campaigns.models import Campaign, CampaignKind
        from apps.crm_plugin.campaigns.queueing import run_campaign

        def run() -> str:
            campaign = Campaign.objects.get(kind=CampaignKind.EXPIRY_REMINDER)
            done = run_campaign(campaign)
            return f"run {done.pk}: selected {done.selected}, queued {done.queued}"

        self._service("campaign", "campaign.run", due, run)

    # -- webhooks -----------------------------------------------------------------------

    def _send_webhook(self, sent: SentWebhook, path: str, body: bytes,
                      headers: dict[str, str], due: float, retry: bool) -> None:
        endpoint = f"POST /webhooks/{sent.source}/ ({sent.kind})"
        for _ in range(WEBHOOK_RETRIES if retry else 1):
            sent.sent_at.append(self.now())
            status, _ = self.http.request("POST", path, body, headers)
            self.journal.add(Sample(sent.source, endpoint, due, (self.now() - due) * 1000,
                                    status))
            sent.statuses.append(status)
            if status == 200 or not retry or status in (400, 401, 403, 404, 413):
                break
            time.sleep(2)
            due = self.now()

    def _record(self, sent: SentWebhook) -> SentWebhook:
        with self.journal.lock:
            self.journal.webhooks.append(sent)
        return sent

    def chatwoot_webhook(self, due: float) -> None:
        from apps.support_plugin.chatwoot.webhooks import SIGNATURE

        pk, phone = self._pick(self._partners)
        with self.random_lock:
            self.conversation_seq += 1
            conversation_id = self.conversation_seq
        payload = {
            "event": "conversation_created", "id": conversation_id,
            "account": {"id": self.secrets.chatwoot_account_id, "name": "KGC Sandbox"},
            "inbox_id": 1, "status": "open", "custom_attributes": {},
            "messages": [{"id": conversation_id * 10, "content": "Jó napot! Elromlott a "
                          "fúrógépem, megjavítanák?", "message_type": 0}],
            "meta": {"sender": {"id": 900_000 + pk, "name": "Ügyfél", "identifier": str(pk),
                                "phone_number": phone, "email": None}},
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        delivery_id = str(uuid.uuid4())
        forged = self._chance(FORGED_SHARE)
        timestamp = int(time.time())
        secret = self.secrets.chatwoot_webhook + ("-forged" if forged else "")
        headers = {"Content-Type": "application/json", "X-Chatwoot-Delivery": delivery_id,
                   "X-Chatwoot-Timestamp": str(timestamp),
                   "X-Chatwoot-Signature": SIGNATURE.sign(secret, timestamp, body)}
        sent = self._record(SentWebhook("chatwoot", "forged" if forged else "valid",
                                        delivery_id, [], str(conversation_id)))
        path = f"/webhooks/chatwoot/{self.secrets.tenant_slug}/"
        self._send_webhook(sent, path, body, headers, due, retry=not forged)
        if sent.acknowledged and self._chance(REPLAY_SHARE):
            with self.journal.lock:
                self.replays.append((path, body, headers, sent))

    def twenty_webhook(self, due: float) -> None:
        from apps.crm_plugin.twenty.mappers import kgc_partner_id
        from apps.crm_plugin.twenty.webhooks import SIGNATURE

        pk, _ = self._pick(self._partners)
        record_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"soak-person-{pk}"))
        payload = {
            "eventName": "person.updated", "targetUrl": "", "workspaceId": "soak",
            "webhookId": "soak", "eventDate": "2026-12-06T12:00:00.000Z",
            "objectMetadata": {"id": "soak", "nameSingular": "person"},
            "record": {"id": record_id, "kgcPartnerId": kgc_partner_id(pk),
                       "name": {"firstName": "Kézzel", "lastName": "Átírt"},
                       "updatedBy": {"source": "MANUAL", "name": "Soak Kolléga"},
                       "updatedAt": "2026-12-06T12:00:00.000Z"},
            "updatedFields": ["name"],
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        nonce = str(uuid.uuid4())
        forged = self._chance(FORGED_SHARE)
        timestamp = int(time.time() * 1000)
        secret = self.secrets.twenty_webhook + ("-forged" if forged else "")
        headers = {"Content-Type": "application/json", "X-Twenty-Webhook-Nonce": nonce,
                   "X-Twenty-Webhook-Timestamp": str(timestamp),
                   "X-Twenty-Webhook-Signature": SIGNATURE.sign(secret, timestamp, body)}
        sent = self._record(SentWebhook("twenty", "forged" if forged else "valid", nonce, [],
                                        kgc_partner_id(pk)))
        self._send_webhook(sent, "/webhooks/twenty/", body, headers, due, retry=not forged)
        if sent.acknowledged and self._chance(REPLAY_SHARE):
            with self.journal.lock:
                self.replays.append(("/webhooks/twenty/", body, headers, sent))

    def koko_message(self, due: float) -> None:
        """A new customer writes one question into the Chatwoot sandbox (a conversation of
        its own, so each message's answer is checked alone); its signed `message_created`
        webhook is sent by the harness too (the sandbox delivers its own copy)."""
        from apps.support_plugin.chatwoot.webhooks import SIGNATURE

        text = self._pick(self.koko_texts)
        with self.random_lock:
            self.conversation_seq += 1
            n = self.conversation_seq
        request = {"content": text, "contact": {"name": f"Kokó Vevő {n}",
                                                "email": f"koko-{n}@vevo.example.hu"}}
        started = self.now()
        created: dict[str, Any] | None = None
        error = ""
        for _ in range(WEBHOOK_RETRIES):
            try:
                posted = urllib.request.Request(
                    f"{self.chatwoot_url}/_sandbox/simulate/conversation_created",
                    data=json.dumps(request).encode(), method="POST",
                    headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(posted, timeout=10) as response:
                    created = json.loads(response.read())
                break
            except OSError as exc:
                error = repr(exc)[:200]
                time.sleep(2)
        self.journal.add(Sample("koko", "POST chatwoot sandbox simulate (customer writes)", due,
                                (self.now() - started) * 1000, 200 if created else 0, error))
        if created is None:
            with self.journal.lock:
                self.journal.koko_failures.append(error)
            return
        message, conversation = created["message"], created["conversation"]
        contact = created["contact"]
        payload = {
            "event": "message_created", "id": message["id"], "content": message["content"],
            "content_type": "text", "content_attributes": {}, "message_type": "incoming",
            "private": False, "source_id": None, "additional_attributes": {},
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "account": {"id": self.secrets.chatwoot_account_id, "name": "KGC Sandbox"},
            "inbox": {"id": message["inbox_id"], "name": "KGC"},
            "conversation": {"id": conversation["id"], "inbox_id": message["inbox_id"],
                             "status": conversation.get("status", "open"),
                             "additional_attributes": {}, "custom_attributes": {}},
            "sender": {"id": contact["id"], "name": contact["name"], "type": "contact",
                       "email": contact.get("email"), "phone_number": None,
                       "identifier": None},
        }
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        delivery_id = str(uuid.uuid4())
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json", "X-Chatwoot-Delivery": delivery_id,
                   "X-Chatwoot-Timestamp": str(timestamp),
                   "X-Chatwoot-Signature": SIGNATURE.sign(self.secrets.chatwoot_webhook,
                                                          timestamp, body)}
        with self.journal.lock:
            self.journal.koko.append(KokoMessage(int(message["id"]), int(conversation["id"]),
                                                 delivery_id))
        sent = self._record(SentWebhook("chatwoot", "valid", delivery_id, [],
                                        f"message:{message['id']}"))
        self._send_webhook(sent, f"/webhooks/chatwoot/{self.secrets.tenant_slug}/", body,
                           headers, due, retry=True)

    def replay_one(self, due: float) -> None:
        """An acknowledged webhook sent again byte for byte: must be refused (401)."""
        with self.journal.lock:
            if not self.replays:
                return
            path, body, headers, original = self.replays.pop(0)
        sent = self._record(SentWebhook(original.source, "replay", original.delivery_id, [],
                                        original.key))
        self._send_webhook(sent, path, body, headers, due, retry=False)

    # -- bot API ------------------------------------------------------------------------

    def api_read(self, due: float) -> None:
        headers = {"Authorization": f"Bearer {self.secrets.api_key}"}
        if self._chance(0.5) or not self._worklog_numbers:
            _, phone = self._pick(self._partners)
            national = f"06 {phone[3:5]} {phone[5:8]} {phone[8:]}"
            path = f"/api/v1/customers/by-phone/{quote(national)}"
            endpoint = "GET /api/v1/customers/by-phone/{phone}"
        else:
            number = self._pick(self._worklog_numbers[:100])
            path = f"/api/v1/service/worklogs/{number}/status"
            endpoint = "GET /api/v1/service/worklogs/{number}/status"
        status, _ = self.http.request("GET", path, headers=headers)
        self.journal.add(Sample("api", endpoint, due, (self.now() - due) * 1000, status))
