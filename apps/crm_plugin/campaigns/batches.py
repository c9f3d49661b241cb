"""Sending one batch of CampaignSend rows: the work of one `campaign.send_due` delivery.

Per batch: one statement settles what a killed attempt left behind, one query loads the
pending rows with their partners and campaigns, the rows the templates name are
prefetched and the templates looked up once, the tenant's rate-limit tokens are taken in
one Redis call, every e-mail is rendered, and one statement takes the rows (pending →
claimed, with exactly what goes out; committed) and writes the skipped ones. The e-mails
then go over one SMTP connection; the remaining outcomes are written in one statement.

Per e-mail, one small prepared statement committed before its DATA command: it writes
the outcome of the e-mail before it and marks this one "sending" (claimed → sending),
re-checking in the same statement that the partner is still active, still has this
address and, for marketing, still consents. It is sent with the e-mail's MAIL FROM and
RCPT TO and its answer read before DATA (`marking.py`); a mark that did not take ends
the SMTP transaction with RSET. So at most the one e-mail inside its SMTP transaction
is uncertain when a worker is killed, as with one delivery per e-mail; marking the whole
batch "sending" up front would make every unsent e-mail of a killed batch uncertain
(failed, never sent).

That statement commits without waiting for the WAL flush (`synchronous_commit` off for
its own transaction only): a flush per e-mail is 4-10 ms on this kind of disk, more than
everything else per e-mail together. It is visible at once and survives any worker, and
the batch's last statement and the delivery's finish (ordinary commits) flush it. Only a
crash of the database server itself can lose it, and that is detected: a row still
"claimed" that was claimed before the server's current start (`pg_postmaster_start_time`)
may have lost its "sending" mark, so it is failed as uncertain instead of being sent
again. (With synchronous replication to a standby, a failover could lose such a commit
without that signal; this deployment has no synchronous standby.)

What can happen to one e-mail, and what it means:

- skipped: inactive or erased partner, no address, an erased person's address
  (privacy tombstone), no marketing consent; checked at load and again when marked;
- sent (250);
- failed: a 5xx answer (the reason is kept), or uncertain (the connection broke after
  its data was complete, or a previous attempt was killed inside its SMTP transaction);
- back to pending: a 4xx answer, a connection lost before its data was complete, the
  rate limit, the batch's time budget: the delivery is retried and finds only these.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import make_msgid
from typing import TYPE_CHECKING

import psycopg
from django.apps import apps
from django.db import connection
from django.utils import timezone

from apps.plugin_manager.eventbus import tuning

from . import rate_limit
from .errors import EmailRejected, EmailTemporarilyRefused, RateLimited
from .marking import MarkConnection, PendingMark
from .models import CampaignSend
from .rendering import BatchRenderer, RenderedEmail, RowCache
from .sending import DeliveryUncertain, NotMarked, SmtpSession, message_domain

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

log = logging.getLogger("crm_plugin.campaigns")
S = CampaignSend.Status

UNCERTAIN = ("bizonytalan: a küldés közben leállt a feldolgozó, a szerver megkaphatta a "
             "levelet; a kettős küldés elkerülésére nem küldtük újra")
UNCERTAIN_RESTART = ("bizonytalan: a küldés közben újraindult az adatbázis, a szerver "
                     "megkaphatta a levelet; a kettős küldés elkerülésére nem küldtük újra")
UNCERTAIN_CONNECTION = ("bizonytalan: a kapcsolat a levél átadása után, a szerver válasza "
                        "előtt megszakadt, a szerver megkaphatta a levelet; a kettős küldés "
                        "elkerülésére nem küldtük újra")
NO_ADDRESS = "nincs e-mail cím vagy a partner inaktív"
NO_CONSENT = "nincs marketing hozzájárulás"
TOMBSTONED = "a cím egy törölt személyé (adatvédelmi törlés)"
CHANGED = "a partner címe vagy hozzájárulása a küldés előtt megváltozott"
RATE_LIMITED = "a telephely küldési kerete elfogyott, később megy"
OUT_OF_TIME = "a köteg időkerete elfogyott, később megy"
NOT_RENDERED = "a levél nem állítható össze"

_TABLE = CampaignSend._meta.db_table

# What an earlier attempt left: "sending" was on the wire (uncertain); "claimed" was not,
# unless the database restarted since (then its "sending" mark may be lost).
_SETTLE_SQL = f"""
UPDATE {_TABLE}
   SET status = CASE WHEN restarted OR status = %(sending)s THEN %(failed)s
                     ELSE %(pending)s END,
       error = CASE WHEN status = %(sending)s THEN %(uncertain)s
                    WHEN restarted THEN %(uncertain_restart)s ELSE '' END
  FROM (SELECT id AS settled_id, claimed_at < pg_postmaster_start_time() AS restarted
          FROM {_TABLE}
         WHERE id = ANY(%(ids)s) AND status IN (%(sending)s, %(claimed)s)) AS earlier
 WHERE id = earlier.settled_id
RETURNING id, status, message_id
"""  # the table name is the model's, not input

# Outcomes: each row changes only from the status this worker left it in.
_OUTCOMES_CTE = f"""
outcome AS (
    UPDATE {_TABLE} s
       SET status = o.status, error = o.error, sent_at = o.sent_at
      FROM unnest(%(o_ids)s::bigint[], %(o_from)s::text[], %(o_status)s::text[],
                  %(o_error)s::text[], %(o_sent_at)s::timestamptz[])
           AS o(id, from_status, status, error, sent_at)
     WHERE s.id = o.id AND s.status = o.from_status
    RETURNING s.id
)"""

_OUTCOMES_SQL = f"WITH {_OUTCOMES_CTE} SELECT count(*) FROM outcome"

# The batch takes its rows with exactly what will go out (and writes the skipped ones).
_CLAIM_SQL = f"""
WITH {_OUTCOMES_CTE}, claimed AS (
    UPDATE {_TABLE} s
       SET status = %(claimed)s, claimed_at = now(), to_email = c.to_email,
           subject = c.subject, body_html = c.body_html, body_text = c.body_text,
           message_id = c.message_id, error = ''
      FROM unnest(%(ids)s::bigint[], %(to)s::text[], %(subject)s::text[], %(html)s::text[],
                  %(text)s::text[], %(message_id)s::text[])
           AS c(id, to_email, subject, body_html, body_text, message_id)
     WHERE s.id = c.id AND s.status = %(pending)s
    RETURNING s.id, s.claimed_at
)
SELECT id, claimed_at, (SELECT count(*) FROM outcome) FROM claimed
"""

@dataclass(frozen=True)
class Prepared:
    """One e-mail, rendered and written, ready for the wire."""

    send: CampaignSend
    rendered: RenderedEmail
    message_id: str
    raw: bytes


@dataclass(frozen=True)
class Outcome:
    send_id: int
    from_status: str
    status: str
    error: str = ""
    sent_at: datetime | None = None


@dataclass
class BatchResult:
    """What became of a batch's rows in this attempt."""

    counts: Counter[str] = field(default_factory=Counter)
    retry_after: float | None = None  # the rate limit's wait, when it held rows back
    first_retry_error: str = ""
    first_rejection: str = ""

    def add(self, outcome: Outcome) -> None:
        key = outcome.status
        if outcome.status == S.FAILED and outcome.error.startswith("bizonytalan"):
            key = "uncertain"
        elif outcome.status == S.PENDING:
            key = "requeued"
            self.first_retry_error = self.first_retry_error or outcome.error
        elif outcome.status == S.FAILED:
            self.first_rejection = self.first_rejection or outcome.error
        self.counts[key] += 1


class OutcomeWriter:
    """Collects outcomes and writes them with the next mark, or on `flush`.

    Its statements are prepared on the server (the claim and outcomes through a psycopg
    cursor, the mark through libpq, `marking.py`): Django's cursor binds on the client,
    so PostgreSQL would plan the mark (two UPDATEs and a join) again for every e-mail,
    and planning is most of its cost. The connection is Django's own, in autocommit: each
    statement commits on its own.
    """

    def __init__(self, result: BatchResult) -> None:
        self.result = result
        # Which claim is ours: a row taken over by another attempt is never marked by us.
        self.claimed_at: datetime | None = None
        self.pending: list[Outcome] = []
        connection.ensure_connection()
        raw = connection.connection
        assert isinstance(raw, psycopg.Connection)
        self._raw = raw
        self._marks: MarkConnection | None = None

    def add(self, outcome: Outcome) -> None:
        self.pending.append(outcome)
        self.result.add(outcome)

    def _params(self) -> dict[str, _SQLType]:
        rows = self.pending
        return {"o_ids": [o.send_id for o in rows], "o_from": [o.from_status for o in rows],
                "o_status": [o.status for o in rows], "o_error": [o.error[:1000] for o in rows],
                "o_sent_at": [o.sent_at for o in rows]}

    def claim(self, prepared: Sequence[Prepared]) -> set[int]:
        """pending → claimed with each row's content, plus the collected outcomes; one
        ordinary commit. Returns the ids taken (a row no longer pending is not)."""
        params: dict[str, _SQLType] = {
            **self._params(), "ids": [p.send.pk for p in prepared],
            "to": [p.send.partner.email for p in prepared],
            "subject": [p.rendered.subject for p in prepared],
            "html": [p.rendered.html for p in prepared],
            "text": [p.rendered.text for p in prepared],
            "message_id": [p.message_id for p in prepared],
            "claimed": S.CLAIMED, "pending": S.PENDING}
        with psycopg.Cursor(self._raw) as cursor:
            cursor.execute(_CLAIM_SQL, params, prepare=True)
            rows = cursor.fetchall()
        self.pending = []
        if rows:
            self.claimed_at = rows[0][1]
        return {row[0] for row in rows}

    def start_mark(self, send: CampaignSend) -> PendingMark:
        """Send the statement that writes the collected outcomes and marks `send`
        "sending" (`marking.py`); its answer is read by `PendingMark.confirm`, before the
        e-mail's DATA. Nothing else may use the connection until then."""
        last = self.pending.pop() if self.pending else None
        self.flush()  # more than one outcome waiting is rare: their own statement
        if self._marks is None:
            self._marks = MarkConnection(self._raw)
        outcome = ((last.send_id, last.from_status, last.status, last.error[:1000],
                    last.sent_at) if last else (None, "", "", "", None))
        mark = self._marks.send(outcome, send.pk, send.campaign.is_marketing, S.SENDING,
                                S.CLAIMED, self.claimed_at)
        self.pending = []
        return mark

    def flush(self) -> None:
        if not self.pending:
            return
        with psycopg.Cursor(self._raw) as cursor:
            cursor.execute(_OUTCOMES_SQL, self._params(), prepare=True)
        self.pending = []


def batch_send_ids(payload: Mapping[str, object], object_id: str) -> list[int]:
    """The rows of a delivery: the payload's list; an event from before batching named
    its single row as the object."""
    ids = payload.get("send_ids")
    if isinstance(ids, list) and ids:
        return [int(str(pk)) for pk in ids]
    return [int(object_id)] if object_id.isdigit() else []


def _settle_earlier_attempt(ids: Sequence[int], result: BatchResult) -> None:
    """Rows an earlier attempt left "sending" were inside an SMTP transaction when it died:
    failed as uncertain. Rows it left "claimed" were not: pending again (unless the
    database restarted since; see the module docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(_SETTLE_SQL, {
            "ids": list(ids), "failed": S.FAILED, "pending": S.PENDING,
            "sending": S.SENDING, "claimed": S.CLAIMED, "uncertain": UNCERTAIN,
            "uncertain_restart": UNCERTAIN_RESTART})
        rows = cursor.fetchall()
    for send_id, status, message_id in rows:
        if status == S.FAILED:
            log.warning("campaign.send.uncertain id=%s message_id=%s", send_id, message_id)
            result.counts["uncertain"] += 1


def _tombstoned_addresses(sends: Sequence[CampaignSend]) -> set[tuple[int, str]]:
    """(tenant, address) pairs of erased people, when the privacy app is installed."""
    if not apps.is_installed("apps.plugin_manager.privacy"):
        return set()
    from apps.plugin_manager.privacy.models import Tombstone
    from apps.plugin_manager.privacy.tombstones import digest

    by_digest: dict[str, list[tuple[int, str]]] = {}
    for send in sends:
        value = digest(Tombstone.Kind.EMAIL, send.partner.email)
        if value:
            by_digest.setdefault(value, []).append((send.tenant_id, send.partner.email))
    if not by_digest:
        return set()
    found = Tombstone.objects.filter(kind=Tombstone.Kind.EMAIL, digest__in=list(by_digest),
                                     lifted_at__isnull=True).values_list("tenant_id", "digest")
    return {pair for tenant_id, value in found for pair in by_digest[value]
            if pair[0] == tenant_id}


def _skip_reason(send: CampaignSend, tombstoned: set[tuple[int, str]]) -> str:
    partner = send.partner
    if not partner.is_active or not partner.email:
        return NO_ADDRESS
    if (send.tenant_id, partner.email) in tombstoned:
        return TOMBSTONED
    if send.campaign.is_marketing and not partner.marketing_consent:
        return NO_CONSENT
    return ""


def send_batch(send_ids: Sequence[int], *, tenant_id: int, per_minute: int) -> BatchResult:
    """Send the batch's pending rows once each; see the module docstring."""
    result = BatchResult()
    _settle_earlier_attempt(send_ids, result)
    sends = list(CampaignSend.objects.filter(pk__in=list(send_ids), status=S.PENDING)
                 .select_related("campaign", "partner").order_by("pk"))
    writer = OutcomeWriter(result)
    try:
        tombstoned = _tombstoned_addresses(sends)
        sendable: list[CampaignSend] = []
        for send in sends:
            reason = _skip_reason(send, tombstoned)
            if reason:
                writer.add(Outcome(send.pk, S.PENDING, S.SKIPPED, reason))
            else:
                sendable.append(send)
        grant = rate_limit.take_many(tenant_id, per_minute, len(sendable))
        if grant.granted < len(sendable):
            result.retry_after = grant.wait
            for send in sendable[grant.granted:]:  # they stay pending, for the retry
                result.add(Outcome(send.pk, S.PENDING, S.PENDING, RATE_LIMITED))
            sendable = sendable[:grant.granted]
        if sendable:
            with SmtpSession() as session:
                prepared = _prepare(sendable, session, writer)
                claimed = writer.claim(prepared) if prepared else set()
                _send_all([p for p in prepared if p.send.pk in claimed], session, writer)
    finally:
        # An ordinary commit: it also flushes the e-mails' unflushed marks.
        writer.flush()
    log.info("campaign.batch first_id=%s rows=%d %s", send_ids[0] if send_ids else None,
             len(send_ids), " ".join(f"{k}={v}" for k, v in sorted(result.counts.items())))
    return result


def _prepare(sends: list[CampaignSend], session: SmtpSession,
             writer: OutcomeWriter) -> list[Prepared]:
    """Render every e-mail of the batch; one that cannot be rendered (a row it names was
    deleted, a template error) fails alone, with the reason."""
    renderer = BatchRenderer(RowCache.for_contexts(send.context for send in sends))
    domain = message_domain()
    prepared = []
    for send in sends:
        try:
            rendered = renderer.render(send.campaign, send.partner, send.context)
            message_id = make_msgid(domain=domain)
            raw = session.message(rendered, send.partner.email, message_id)
        except Exception as exc:
            log.exception("campaign.send.render-failed id=%s", send.pk)
            writer.add(Outcome(send.pk, S.PENDING, S.FAILED,
                               f"{NOT_RENDERED}: {type(exc).__name__}: {exc}"))
            continue
        prepared.append(Prepared(send, rendered, message_id, raw))
    return prepared


def _send_all(prepared: list[Prepared], session: SmtpSession, writer: OutcomeWriter) -> None:
    # Well inside the delivery's lease, so no second worker ever takes the batch over
    # while this one is still sending.
    deadline = time.monotonic() + tuning.lease().total_seconds() / 2
    for index, item in enumerate(prepared):
        if not session.usable or time.monotonic() > deadline:
            reason = (OUT_OF_TIME if session.usable
                      else writer.result.first_retry_error or "SMTP connection lost")
            for rest in prepared[index:]:
                writer.add(Outcome(rest.send.pk, S.CLAIMED, S.PENDING, reason))
            return
        mark = writer.start_mark(item.send)
        writer.add(_transact(session, item, mark))


def _transact(session: SmtpSession, item: Prepared, mark: PendingMark) -> Outcome:
    try:
        outcome = _smtp_transaction(session, item, mark)
    finally:
        # Always collected (the connection is free again); a database error raised here
        # was raised before DATA as well, so nothing of the message was sent.
        marked = mark.confirm()
    if not marked:
        # Consent withdrawn, erased or readdressed a moment ago: not sent now (the SMTP
        # transaction ended before DATA); the retry decides with the new data.
        return Outcome(item.send.pk, S.CLAIMED, S.PENDING, CHANGED)
    return outcome


def _smtp_transaction(session: SmtpSession, item: Prepared, mark: PendingMark) -> Outcome:
    send, message_id = item.send, item.message_id
    try:
        session.send(send.partner.email, item.raw, item.rendered, message_id,
                     before_data=mark.confirm)
    except NotMarked:
        return Outcome(send.pk, S.CLAIMED, S.PENDING, CHANGED)
    except EmailRejected as exc:
        log.info("campaign.send.rejected id=%s reason=%s", send.pk, exc.message)
        return Outcome(send.pk, S.SENDING, S.FAILED, exc.message)
    except DeliveryUncertain as exc:
        log.warning("campaign.send.uncertain id=%s message_id=%s: %s", send.pk, message_id,
                    exc)
        return Outcome(send.pk, S.SENDING, S.FAILED, UNCERTAIN_CONNECTION)
    except EmailTemporarilyRefused as exc:
        return Outcome(send.pk, S.SENDING, S.PENDING, exc.message)
    except Exception as exc:
        # Our own failure before or while talking to the server, with the connection
        # still sane: nothing was completed; send it again later.
        log.exception("campaign.send.error id=%s", send.pk)
        return Outcome(send.pk, S.SENDING, S.PENDING, f"{type(exc).__name__}: {exc}")
    return Outcome(send.pk, S.SENDING, S.SENT, "", timezone.now())


def raise_for(result: BatchResult) -> None:
    """The delivery's outcome: retried while rows wait, dead when e-mails were rejected
    and nothing waits (the reasons are on the rows), succeeded otherwise."""
    counts = result.counts
    summary = ", ".join(f"{key}={value}" for key, value in sorted(counts.items()))
    if counts["requeued"]:
        if result.retry_after is not None:
            raise RateLimited(f"a telephely küldési kerete elfogyott ({summary})",
                              retry_after=result.retry_after)
        raise EmailTemporarilyRefused(f"{result.first_retry_error} ({summary})")
    if counts[S.FAILED]:
        raise EmailRejected(result.first_rejection if counts[S.FAILED] == 1
                            else f"{result.first_rejection} ({summary})")


__all__ = ("UNCERTAIN", "BatchResult", "batch_send_ids", "raise_for", "send_batch")
