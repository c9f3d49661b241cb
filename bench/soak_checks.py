"""The soak run's end checks, after quiescence, from the sandboxes' state and the database.

Each check returns a list of problems (empty = passed) and the counts it looked at:
- outbound: every delivery succeeded (none pending, dead or failed), one delivery per event
  and subscriber, and per subscriber and object they finished in event order;
- Chatwoot: one contact per partner, showing the partner's last saved name and e-mail; one
  message per notification the product recorded, none unrecorded, and per object in event
  order;
- Twenty: one person per partner with its last saved e-mail, one rental record per
  completed rental;
- inbound: every acknowledged valid webhook stored once and processed (Chatwoot: one
  worklog per conversation; Twenty: one conflict record per delivery); every forged one and
  every replay refused with 401 and never processed; nothing left waiting or failed;
- HTTP: no 5xx and no unanswered request from the inbox or the API outside the PostgreSQL
  restart windows, and only 503 inside them;
- Kokó: every customer message the harness wrote has exactly one decision row (however
  many times its webhook arrived), at most one Kokó message (reply or private note) in the
  Chatwoot sandbox, none of them posted twice, and each decision's reply or note posted
  (none left pending, in flight or failed across the faults);
- campaigns: every e-mail the private SMTP server took names a CampaignSend row (by its
  Message-ID) and was taken once; every row marked sent was taken; nothing left pending,
  claimed or in flight; the uncertain ones (a send cut by a kill or a restart: failed,
  never resent) counted and reported, any other failure a problem;
- memory: each worker's RSS growth after warm-up below 10 %.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from .soak_load import Journal
from .soak_stack import SoakStack

RSS_GROWTH_LIMIT = 0.10
PG_WINDOW_GRACE = 10.0  # seconds after pg_ctl returned in which a 503 is still expected


@dataclass
class Check:
    name: str
    problems: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.problems

    def fail(self, message: str) -> None:
        if len(self.problems) < 25:
            self.problems.append(message)
        elif len(self.problems) == 25:
            self.problems.append("... (more)")


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=60) as response:
        return json.loads(response.read())


def check_outbound() -> Check:
    from django.db.models import Count

    from apps.plugin_manager.eventbus.models import Delivery

    check = Check("outbound: every change reached every enabled system once, in order")
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    check.counts["deliveries"] = dict(statuses)
    check.counts["by_subscriber"] = {
        f"{row['subscriber']}:{row['status']}": row["n"]
        for row in Delivery.objects.values("subscriber", "status").annotate(n=Count("id"))
    }
    for status in ("pending", "dead"):
        for delivery in Delivery.objects.filter(status=status)[:10]:
            check.fail(f"delivery {delivery.pk} {delivery.subscriber} {delivery.object_type}:"
                       f"{delivery.object_id} left {status}: {delivery.last_error[:160]}")
    twice = (Delivery.objects.values("event_id", "subscriber").annotate(n=Count("id"))
             .filter(n__gt=1))
    check.counts["duplicated"] = twice.count()
    for row in twice[:10]:
        check.fail(f"event {row['event_id']} has {row['n']} deliveries to {row['subscriber']}")
    rows = (Delivery.objects.filter(status="succeeded")
            .order_by("subscriber", "object_type", "object_id", "event_id")
            .values_list("subscriber", "object_type", "object_id", "event_id", "finished_at"))
    previous: tuple[str, str, str] | None = None
    last_finished = None
    out_of_order = 0
    for subscriber, object_type, object_id, event_id, finished_at in rows.iterator():
        key = (subscriber, object_type, object_id)
        if (key == previous and last_finished is not None and finished_at is not None
                and finished_at < last_finished):
            out_of_order += 1
            check.fail(f"{subscriber} {object_type}:{object_id}: event {event_id} finished "
                       f"before the one saved before it")
        previous, last_finished = key, finished_at
    check.counts["out_of_order"] = out_of_order
    return check


def check_chatwoot(stack: SoakStack) -> Check:
    from apps.plugin_manager.eventbus.models import Event
    from apps.support_plugin.chatwoot.models import NotificationSent
    from kgc_erp.partners.models import Partner

    check = Check("Chatwoot: contacts and notifications exactly once, last change shown")
    state = _get_json(f"{stack.chatwoot_url}/_sandbox/state")
    contacts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for contact in state["contacts"]:
        if contact.get("identifier"):
            contacts[str(contact["identifier"])].append(contact)
    partners = list(Partner.objects.filter(is_active=True).values("pk", "name", "email"))
    check.counts["partners"] = len(partners)
    check.counts["contacts"] = len(state["contacts"])
    stale = 0
    for partner in partners:
        found = contacts.get(str(partner["pk"]), [])
        if len(found) != 1:
            check.fail(f"partner {partner['pk']}: {len(found)} contacts")
            continue
        contact = found[0]
        if contact["name"] != partner["name"] or (contact["email"] or "") != partner["email"]:
            stale += 1
            check.fail(f"partner {partner['pk']}: contact shows {contact['name']!r} "
                       f"{contact['email']!r}, the ERP {partner['name']!r} {partner['email']!r}")
    check.counts["stale_contacts"] = stale

    messages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for message in state["messages"]:
        if str(message.get("source_id") or "").startswith("kgc:"):
            messages[message["source_id"]].append(message)
    sent = list(NotificationSent.objects.values_list("event_uuid", "kind", "object_type",
                                                     "object_id"))
    check.counts["notifications_recorded"] = len(sent)
    check.counts["notification_messages"] = sum(len(v) for v in messages.values())
    expected = {f"kgc:{event_uuid}:{kind}" for event_uuid, kind, _, _ in sent}
    for source_id, found in messages.items():
        if len(found) > 1:
            check.fail(f"message {source_id} posted {len(found)} times")
        if source_id not in expected:
            check.fail(f"message {source_id} in Chatwoot but not recorded as sent")
    duplicated = sum(1 for found in messages.values() if len(found) > 1)
    check.counts["duplicated_messages"] = duplicated
    missing = expected - set(messages)
    check.counts["missing_messages"] = len(missing)
    for source_id in sorted(missing)[:10]:
        check.fail(f"notification {source_id} recorded as sent but not in Chatwoot")
    # Order per object: the messages of one rental / worklog appear in event order.
    event_order = dict(Event.objects.filter(uuid__in=[s[0] for s in sent])
                       .values_list("uuid", "id"))
    per_object: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for event_uuid, kind, object_type, object_id in sent:
        posted = messages.get(f"kgc:{event_uuid}:{kind}")
        if posted and event_uuid in event_order:
            per_object[(object_type, object_id)].append((event_order[event_uuid],
                                                         int(posted[0]["id"])))
    out_of_order = 0
    for key, pairs in per_object.items():
        message_ids = [message_id for _, message_id in sorted(pairs)]
        if message_ids != sorted(message_ids):
            out_of_order += 1
            check.fail(f"{key[0]}:{key[1]}: notifications posted out of event order")
    check.counts["objects_out_of_order"] = out_of_order
    return check


def check_twenty(stack: SoakStack) -> Check:
    from apps.crm_plugin.twenty.mappers import kgc_partner_id
    from kgc_erp.partners.models import Partner
    from kgc_erp.rentals.models import Rental

    check = Check("Twenty: people and rental records exactly once, last change shown")
    people = _get_json(f"{stack.twenty_control_url}/_sandbox/records/person")["records"]
    by_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for person in people:
        if person.get("kgcPartnerId") and not person.get("deletedAt"):
            by_id[person["kgcPartnerId"]].append(person)
    partners = list(Partner.objects.filter(is_active=True).values("pk", "email"))
    check.counts["people"] = len(people)
    stale = 0
    for partner in partners:
        found = by_id.get(kgc_partner_id(partner["pk"]), [])
        if len(found) != 1:
            check.fail(f"partner {partner['pk']}: {len(found)} people in Twenty")
            continue
        email = ((found[0].get("emails") or {}).get("primaryEmail") or "")
        if email.lower() != partner["email"].lower():
            stale += 1
            check.fail(f"partner {partner['pk']}: Twenty shows {email!r}, the ERP "
                       f"{partner['email']!r}")
    check.counts["stale_people"] = stale
    records = _get_json(f"{stack.twenty_control_url}/_sandbox/records/rentalRecord")["records"]
    per_rental = Counter(r.get("kgcRentalId") for r in records if not r.get("deletedAt"))
    completed = set(Rental.objects.filter(status=Rental.Status.COMPLETED)
                    .values_list("number", flat=True))
    check.counts["rental_records"] = len(records)
    check.counts["rentals_completed"] = len(completed)
    for number in sorted(completed - set(per_rental))[:10]:
        check.fail(f"completed rental {number} has no rental record in Twenty")
    for number, n in per_rental.items():
        if n > 1:
            check.fail(f"rental {number}: {n} rental records in Twenty")
    check.counts["missing_rental_records"] = len(completed - set(per_rental))
    return check


def check_inbound(journal: Journal) -> Check:
    from apps.crm_plugin.twenty.models import CrmConflict
    from apps.plugin_manager.eventbus.models import InboundDelivery
    from apps.support_plugin.chatwoot.models import ConversationLink
    from apps.support_plugin.koko.models import KokoReply

    check = Check("inbound: valid webhooks processed once, forged and replayed refused")
    rows: dict[tuple[str, str], list[tuple[int, str, int]]] = defaultdict(list)
    for pk, source, delivery_id, status, response in InboundDelivery.objects.values_list(
            "pk", "source", "delivery_id", "status", "response_status"):
        rows[(source, delivery_id)].append((pk, status, response))
    statuses = Counter(InboundDelivery.objects.values_list("status", flat=True))
    check.counts["inbox_rows"] = dict(statuses)
    for status in ("received", "failed"):
        if statuses.get(status):
            check.fail(f"{statuses[status]} inbound webhooks left {status}")
    conversations = Counter(
        str(cid) for cid in ConversationLink.objects.filter(worklog__isnull=False)
        .values_list("conversation_id", flat=True))
    conflicts = Counter(CrmConflict.objects.values_list("inbound_delivery_id", flat=True))
    decisions = Counter(str(m) for m in KokoReply.objects.values_list("message_id", flat=True))
    kinds: Counter[str] = Counter()
    for sent in journal.webhooks:
        kinds[f"{sent.source} {sent.kind}"] += 1
        stored = rows.get((sent.source, sent.delivery_id), [])
        accepted = [row for row in stored if row[1] != "refused"]
        if sent.kind == "valid":
            if not sent.acknowledged:
                check.fail(f"{sent.source} {sent.delivery_id}: never acknowledged "
                           f"(answers {sent.statuses})")
                continue
            if len(accepted) != 1:
                check.fail(f"{sent.source} {sent.delivery_id}: acknowledged, stored "
                           f"{len(accepted)} times")
                continue
            pk, status, _ = accepted[0]
            if status != "processed":
                check.fail(f"{sent.source} {sent.delivery_id}: {status}")
            if sent.key.startswith("message:"):  # a Kokó customer message: one decision
                effect = decisions.get(sent.key.removeprefix("message:"), 0)
            elif sent.source == "chatwoot":
                effect = conversations.get(sent.key, 0)
            else:
                effect = conflicts.get(pk, 0)
            if effect != 1:
                check.fail(f"{sent.source} {sent.delivery_id} ({sent.key}): its effect "
                           f"happened {effect} times")
        else:
            # Inside a PostgreSQL restart the inbox cannot look up the secret: 503.
            if any(status not in (401, 503) for status in sent.statuses):
                check.fail(f"{sent.source} {sent.kind} {sent.delivery_id}: answered "
                           f"{sent.statuses}, expected 401")
            if sent.kind == "forged" and accepted:
                check.fail(f"forged {sent.source} {sent.delivery_id} was accepted")
    check.counts["sent"] = dict(kinds)
    check.counts["acknowledged_after_retry"] = sum(
        1 for s in journal.webhooks if s.kind == "valid" and s.acknowledged
        and s.statuses[0] != 200)
    return check


def check_koko(stack: SoakStack, journal: Journal) -> Check:
    from apps.support_plugin.koko.models import KokoReply

    check = Check("Kokó: one decision per customer message, at most one answer, none lost")
    for failure in journal.koko_failures[:5]:
        check.fail(f"the Chatwoot sandbox did not take a customer message: {failure}")
    state = _get_json(f"{stack.chatwoot_url}/_sandbox/state")
    posted: Counter[str] = Counter(
        str(m.get("source_id")) for m in state["messages"]
        if str(m.get("source_id") or "").startswith("koko:"))
    ids = [m.message_id for m in journal.koko]
    replies: dict[int, list[KokoReply]] = defaultdict(list)
    for reply in KokoReply.objects.filter(message_id__in=ids):
        replies[reply.message_id].append(reply)
    check.counts["customer_messages"] = len(ids)
    routes: Counter[str] = Counter()
    states: Counter[str] = Counter()
    answered = 0
    for message in journal.koko:
        found = replies.get(message.message_id, [])
        if len(found) != 1:
            check.fail(f"message {message.message_id}: {len(found)} decision rows")
            continue
        reply = found[0]
        routes[f"{reply.route}/{reply.status}"] += 1
        states[reply.send_state or "none"] += 1
        ours = {reply.source_id: posted.get(reply.source_id, 0),
                reply.note_source_id: posted.get(reply.note_source_id, 0)}
        total = sum(ours.values())
        answered += 1 if total else 0
        if total > 1:
            check.fail(f"message {message.message_id}: {total} Kokó messages in Chatwoot "
                       f"({ours})")
        if reply.send_state in ("pending", "sending", "failed"):
            check.fail(f"message {message.message_id}: reply {reply.send_state} "
                       f"({reply.send_error[:120]})")
        if reply.send_state == "sent" and not ours[reply.source_id]:
            check.fail(f"message {message.message_id}: reply recorded as sent, not in Chatwoot")
        if reply.note_message_id and not ours[reply.note_source_id]:
            check.fail(f"message {message.message_id}: note recorded, not in Chatwoot")
    check.counts["decisions"] = dict(routes)
    check.counts["send_states"] = dict(states)
    check.counts["answered_in_chatwoot"] = answered
    check.counts["posted_twice"] = sum(1 for n in posted.values() if n > 1)
    for source_id, n in posted.items():
        if n > 1:
            check.fail(f"{source_id} posted {n} times")
    if not ids:
        check.fail("no Kokó customer message was sent")
    return check


def check_campaigns(stack: SoakStack) -> Check:
    from apps.crm_plugin.campaigns.models import CampaignRun, CampaignSend

    from .soak_smtp import read_received

    check = Check("campaigns: each e-mail sent at most once, none lost, uncertain reported")
    received = read_received(stack.smtp_received_path)
    taken = Counter(str(r["message_id"]).strip("<>") for r in received)
    rows = list(CampaignSend.objects.values_list("pk", "status", "message_id", "error"))
    statuses = Counter(status for _, status, _, _ in rows)
    check.counts["runs"] = CampaignRun.objects.count()
    check.counts["send_rows"] = dict(statuses)
    check.counts["smtp_received"] = len(received)
    uncertain = "bizonytalan"  # batches.UNCERTAIN*: may have been taken, never resent
    by_message_id = {message_id.strip("<>"): (pk, status, error)
                     for pk, status, message_id, error in rows if message_id}
    uncertain_rows = 0
    uncertain_taken = 0
    for pk, status, message_id, error in rows:
        key = message_id.strip("<>")
        if status in ("pending", "claimed", "sending"):
            check.fail(f"send {pk} left {status}")
        elif status == "sent" and taken.get(key, 0) != 1:
            check.fail(f"send {pk} marked sent, the SMTP server took it {taken.get(key, 0)} "
                       f"times")
        elif status == "failed":
            if error.startswith(uncertain):
                uncertain_rows += 1
                uncertain_taken += 1 if taken.get(key) else 0
            else:
                check.fail(f"send {pk} failed: {error[:160]}")
    check.counts["uncertain"] = uncertain_rows
    check.counts["uncertain_taken_by_the_server"] = uncertain_taken
    duplicated = [key for key, n in taken.items() if n > 1]
    check.counts["taken_twice"] = len(duplicated)
    for key in duplicated[:10]:
        check.fail(f"the SMTP server took {key} {taken[key]} times")
    strangers = [key for key in taken if key not in by_message_id]
    check.counts["taken_without_a_row"] = len(strangers)
    for key in strangers[:10]:
        check.fail(f"the SMTP server took {key}, no send row has that Message-ID")
    return check


def in_pg_window(t: float, windows: list[tuple[float, float]]) -> bool:
    return any(start - 1.0 <= t <= end + PG_WINDOW_GRACE for start, end in windows)


def check_http(journal: Journal, pg_windows: list[tuple[float, float]]) -> Check:
    check = Check("HTTP: no 5xx outside the PostgreSQL restart, a clear 503 inside it")
    inside: Counter[int] = Counter()
    for sample in journal.samples:
        if not sample.endpoint.startswith(("POST /webhooks", "GET /api")):
            continue
        if in_pg_window(sample.due + sample.latency_ms / 1000, pg_windows) or in_pg_window(
                sample.due, pg_windows):
            inside[sample.status] += 1
            if (sample.status >= 500 and sample.status != 503) or sample.status == 0:
                check.fail(f"{sample.endpoint} at {sample.due:.1f} s (PostgreSQL restart): "
                           f"{sample.status or 'no answer'}")
        elif sample.status >= 500 or sample.status == 0:
            check.fail(f"{sample.endpoint} at {sample.due:.1f} s: {sample.status or 'no answer'}")
    check.counts["statuses_in_pg_restart"] = dict(inside)
    harness = [s for s in journal.samples if s.stream == "harness"]
    for sample in harness[:5]:
        check.fail(f"harness error at {sample.due:.1f} s: {sample.detail}")
    return check


def check_memory(rss: list[tuple[float, int, int, int]], warmup: float, end: float) -> Check:
    """Per worker process: RSS at the first sample after warm-up (or after its restart plus
    warm-up) against its last sample; a process must have lived half the run to count."""
    check = Check("memory: worker RSS growth after warm-up < 10 %")
    series: dict[tuple[int, int], list[tuple[float, int]]] = defaultdict(list)
    for t, worker, pid, value in rss:
        series[(worker, pid)].append((t, value))
    judged = 0
    for (worker, pid), samples in sorted(series.items()):
        born = samples[0][0]
        after = [(t, v) for t, v in samples if t >= born + warmup]
        if not after or after[-1][0] - after[0][0] < (end - warmup) / 2:
            check.counts[f"worker {worker} pid {pid}"] = (
                f"lived {samples[-1][0] - born:.0f} s: too short to judge")
            continue
        judged += 1
        first, last = after[0][1], after[-1][1]
        growth = (last - first) / first
        check.counts[f"worker {worker} pid {pid}"] = (
            f"{first / 2**20:.0f} MiB -> {last / 2**20:.0f} MiB ({growth:+.1%}) over "
            f"{after[-1][0] - after[0][0]:.0f} s")
        if growth >= RSS_GROWTH_LIMIT:
            check.fail(f"worker {worker} pid {pid}: RSS grew {growth:.1%} after warm-up")
    if judged == 0:
        check.fail("no worker process lived long enough after warm-up to judge its memory")
    return check
