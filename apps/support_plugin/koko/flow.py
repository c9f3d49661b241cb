"""Kokó in Chatwoot: one customer message in, at most one bot reply out.

Registered as the Chatwoot bot hook (``KokoConfig.ready``), so it runs inside the event
bus's inbound handler of ``message_created``: a worker killed mid-way leaves the stored
webhook leased, the sweeper hands it to another worker, and this code resumes from the
``KokoReply`` row it finds.

1. **Decide once.** The row is unique per (tenant, account, message id); a redelivered
   webhook or a retried handler loads it instead of deciding again.
2. **Act by route.** auto: post the reply; approval: a private note with the suggestion
   and confidence, the row waits in the admin's approval queue; escalate: assign the team
   configured for the intent, make sure the conversation is open, private note with the
   reasons, and Kokó stays quiet in that conversation from then on.
3. **Send once** (``send_reply``): a claim (``pending`` -> ``sending`` with a lease) in one
   UPDATE; a later attempt that finds ``sending`` with an expired lease does not know
   whether Chatwoot got the message, so it looks for our ``source_id`` in the
   conversation's messages before posting.

A colleague's public reply silences Kokó in that conversation; a plugin switched off
(globally or for the tenant) answers nothing and stores nothing.

Kokó's trouble stays Kokó's (``act``): the same inbound delivery also carries the message
into the outbox (worklog, GLPI, CRM), so a Chatwoot error in Kokó's part never fails or
re-runs it. A permanent one (e.g. 404) is recorded on the reply (``send_error``) and
logged; a transient one is recorded and retried by Kokó's own task
(``support_koko.resume_reply``), which resumes from the row like a redelivery does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings as django_settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.plugin_manager.eventbus.errors import TransientDeliveryError
from apps.plugin_manager.runtime import get_plugin_settings, is_enabled
from apps.support_plugin.chatwoot.bot_hook import (
    AGENT_MESSAGE,
    CONVERSATION_UPDATED,
    MESSAGE_UPDATED,
    ConversationActivity,
    IncomingMessage,
)
from apps.support_plugin.chatwoot.client import ChatwootClient
from apps.support_plugin.chatwoot.config import settings_for
from apps.support_plugin.chatwoot.errors import ChatwootError
from kgc_erp.tenants.models import Tenant

from . import erp_status
from .config import PLUGIN_ID, koko_settings
from .models import KnowledgeArticle, KokoConversation, KokoReply
from .texts import approval_note, escalation_note

log = logging.getLogger("support_plugin.koko.flow")

DEFAULT_SEND_LEASE_SECONDS = 30
ERP_CONFIDENCE = 1.0
# What the customer wrote is kept in full (nothing is lost); the brain reads at most this.
DECIDE_MAX_CHARS = 20_000
# First wait before Kokó's own retry of a transient Chatwoot error (then the task backs off).
RESUME_FIRST_DELAY = 5.0


class SendInFlight(TransientDeliveryError):
    """Another attempt holds the send claim: retry later (the event bus backs off)."""


def send_lease(client: ChatwootClient) -> timedelta:
    """``KOKO_SEND_LEASE_SECONDS``, but never shorter than one attempt can take (a lookup
    and a post, each within the client's connect + read timeout): a live attempt must
    never lose its claim to another one, or both could post."""
    seconds = float(getattr(django_settings, "KOKO_SEND_LEASE_SECONDS", None)
                    or DEFAULT_SEND_LEASE_SECONDS)
    one_call = sum(client.connection.timeout)
    return timedelta(seconds=max(seconds, 2 * one_call + 2))


# -- settings ---------------------------------------------------------------------------------


def escalation_teams(tenant_id: int | None) -> dict[str, int]:
    """The per-tenant setting ``escalation_teams``: ``berles=3, szerviz=4, general=5``
    (``*=<id>`` for every other intent). Malformed pairs are skipped (logged)."""
    raw = str(get_plugin_settings(PLUGIN_ID, tenant_id).get("escalation_teams") or "")
    teams: dict[str, int] = {}
    for pair in raw.replace(";", ",").split(","):
        if not pair.strip():
            continue
        key, _, value = pair.replace(":", "=").partition("=")
        try:
            teams[key.strip().lower()] = int(value.strip())
        except ValueError:
            log.warning("koko.settings.bad-team-pair tenant=%s pair=%r", tenant_id, pair)
    return teams


def team_for(tenant_id: int, intent: str) -> int | None:
    teams = escalation_teams(tenant_id)
    return teams.get(intent) or teams.get("*")


# -- deciding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    route: str
    intent: str
    confidence: float
    category: str
    kb_ids: list[str]
    reasons: list[str]
    draft: str
    source: str


def _judge(message: IncomingMessage, has_attachments: bool) -> Verdict:
    """The brain's decision, with the ERP answering status questions of known partners."""
    from .brain import decide

    text = message.content[:DECIDE_MAX_CHARS]
    try:
        decision = decide(text, settings=koko_settings(message.tenant_id),
                          has_attachments=has_attachments)
    except Exception:  # a bug or an outage of the brain must not lose the message
        log.exception("koko.decide.failed tenant=%s message=%s", message.tenant_id,
                      message.message_id)
        return Verdict("escalate", "general", 0.0, "", [], ["brain_error"], "", "kb")
    reasons = list(decision.reasons)
    if not decision.hits and not KnowledgeArticle.objects.filter(is_active=True).exists():
        # Say why in the handover note: nobody has loaded the knowledge base yet.
        reasons.append("kb_empty")
        log.warning("koko.kb-empty tenant=%s message=%s: no active article, escalating",
                    message.tenant_id, message.message_id)
    verdict = Verdict(
        route=str(decision.route), intent=decision.intent, confidence=decision.confidence,
        category=decision.category or "", kb_ids=list(decision.kb_ids),
        reasons=reasons, draft=decision.draft.text if decision.draft else "",
        source="kb",
    )
    erp = erp_status.answer(message.tenant_id, message.partner_id, text)
    if erp is None:
        return verdict
    # A status question with a number: the ERP answers it, unless the message is also
    # something a person must handle (complaint, threat, ...). "specific_status" is the
    # rule for status questions without a number the rules recognise; this one has one.
    sensitive = verdict.category not in ("", "specific_status", "out_of_scope")
    if sensitive:
        return verdict
    if not erp.found:
        reason = "erp:unknown_contact" if message.partner_id is None else "erp:not_found"
        return Verdict("escalate", erp.intent, 0.0, "specific_status", [],
                       [reason, f"document:{erp.number}"], "", "erp")
    return Verdict("auto", erp.intent, ERP_CONFIDENCE, "", [], [f"erp:{erp.number}"],
                   erp.text, "erp")


def _conversation(message: IncomingMessage) -> KokoConversation:
    conversation, created = KokoConversation.objects.get_or_create(
        tenant_id=message.tenant_id, account_id=message.account_id,
        conversation_id=message.conversation_id,
        defaults={"contact_id": message.contact_id, "partner_id": message.partner_id},
    )
    if not created and message.partner_id and conversation.partner_id is None:
        conversation.partner_id = message.partner_id
        conversation.save(update_fields=["partner", "updated_at"])
    return conversation


def record(message: IncomingMessage) -> KokoReply:
    """The message's one ``KokoReply``: found, or decided and inserted (a concurrent
    duplicate delivery loses the insert and gets the winner's row)."""
    existing = KokoReply.objects.filter(tenant_id=message.tenant_id,
                                        account_id=message.account_id,
                                        message_id=message.message_id).first()
    if existing is not None:
        return existing
    conversation = _conversation(message)
    attachments = message.raw.get("attachments") if message.raw else None
    has_attachments = bool(attachments)
    fields: dict[str, Any] = {
        "conversation": conversation, "customer_text": message.content,
        "has_attachments": has_attachments,
    }
    if conversation.silenced_at is not None:
        verdict = Verdict("", "general", 0.0, "", [], [f"silenced:{conversation.silenced_reason}"],
                          "", "kb")
        status = KokoReply.Status.SILENCED
    else:
        verdict = _judge(message, has_attachments)
        status = {"auto": KokoReply.Status.AUTO,
                  "approval": KokoReply.Status.AWAITING_APPROVAL}.get(
                      verdict.route, KokoReply.Status.ESCALATED)
    fields.update(route=verdict.route, intent=verdict.intent, confidence=verdict.confidence,
                  category=verdict.category, kb_ids=verdict.kb_ids,
                  reasons=[r[:200] for r in verdict.reasons], draft_text=verdict.draft,
                  source=verdict.source, status=status)
    if status == KokoReply.Status.AUTO:
        fields.update(reply_text=verdict.draft, send_state=KokoReply.SendState.PENDING)
    try:
        with transaction.atomic():
            reply = KokoReply.objects.create(
                tenant_id=message.tenant_id, account_id=message.account_id,
                message_id=message.message_id, **fields)
            if status == KokoReply.Status.ESCALATED:
                # From the handover on, the conversation is a colleague's.
                KokoConversation.objects.filter(pk=conversation.pk, silenced_at=None).update(
                    silenced_at=timezone.now(),
                    silenced_reason=KokoConversation.Silence.ESCALATED)
    except IntegrityError:
        return KokoReply.objects.get(tenant_id=message.tenant_id, account_id=message.account_id,
                                     message_id=message.message_id)
    log.info("koko.decided tenant=%s conversation=%s message=%s route=%s status=%s "
             "confidence=%.2f intent=%s reasons=%s", message.tenant_id,
             message.conversation_id, message.message_id, verdict.route, status,
             verdict.confidence, verdict.intent, ",".join(verdict.reasons))
    return reply


# -- acting -----------------------------------------------------------------------------------


def _client(tenant_id: int) -> ChatwootClient:
    return settings_for(Tenant.objects.get(pk=tenant_id)).client()


def _find_posted(client: ChatwootClient, reply: KokoReply, source_id: str) -> dict[str, Any] | None:
    """Our message with ``source_id`` among the messages after the customer's one."""
    conversation_id = reply.conversation.conversation_id
    for posted in client.list_messages(conversation_id, after=reply.message_id):
        if posted.get("source_id") == source_id:
            return posted
    return None


def _claim(reply: KokoReply, lease: timedelta) -> bool:
    now = timezone.now()
    return bool(KokoReply.objects.filter(pk=reply.pk).filter(
        Q(send_state=KokoReply.SendState.PENDING)
        | Q(send_state=KokoReply.SendState.SENDING, send_claimed_until__lt=now)
    ).update(send_state=KokoReply.SendState.SENDING, send_claimed_until=now + lease,
             send_attempts=F("send_attempts") + 1))


def send_reply(reply: KokoReply, client: ChatwootClient | None = None) -> bool:
    """Post ``reply.reply_text`` to the customer at most once. True when it is (now or
    already) in Chatwoot; False when there is nothing to send. Raises ``SendInFlight``
    while another attempt holds the claim, and Chatwoot's typed errors."""
    client = client or _client(reply.tenant_id)
    if not _claim(reply, send_lease(client)):
        reply.refresh_from_db()
        if reply.send_state == KokoReply.SendState.SENT:
            return True
        if reply.send_state == KokoReply.SendState.SENDING:
            left = ((reply.send_claimed_until - timezone.now()).total_seconds()
                    if reply.send_claimed_until else 0.0)
            # Come back when the claim has run out: then it is ours to check and finish.
            raise SendInFlight(f"Kokó reply {reply.pk}: another attempt is sending it",
                               retry_after=max(0.5, left + 0.5))
        return False
    reply.refresh_from_db()
    try:
        posted = None
        if reply.send_attempts > 1:
            # An earlier attempt may have reached Chatwoot before it died or timed out.
            posted = _find_posted(client, reply, reply.source_id)
        if posted is None:
            posted = client.create_message(reply.conversation.conversation_id,
                                           reply.reply_text, source_id=reply.source_id)
    except ChatwootError as exc:
        permanent = not isinstance(exc, TransientDeliveryError)
        # Transient: the outcome is unknown; the claim is released at once so the retry
        # (which looks before posting) need not wait for the lease.
        KokoReply.objects.filter(pk=reply.pk, send_state=KokoReply.SendState.SENDING).update(
            send_state=KokoReply.SendState.FAILED if permanent else KokoReply.SendState.SENDING,
            send_claimed_until=timezone.now(), send_error=str(exc)[:2000])
        raise
    KokoReply.objects.filter(pk=reply.pk).update(
        send_state=KokoReply.SendState.SENT, send_claimed_until=None, send_error="",
        chatwoot_message_id=posted.get("id"), sent_at=timezone.now())
    reply.refresh_from_db()
    log.info("koko.sent tenant=%s conversation=%s message=%s chatwoot_message=%s attempts=%s",
             reply.tenant_id, reply.conversation.conversation_id, reply.message_id,
             reply.chatwoot_message_id, reply.send_attempts)
    return True


def _post_note(client: ChatwootClient, reply: KokoReply, text: str) -> None:
    """The private note, posted once.

    Chatwoot can deliver one message under two delivery ids, and two workers then carry
    out the same reply at the same moment (seen in the soak run: two notes). The reply's
    row is locked across the look-and-post, so the second waits and finds the note id; a
    worker killed inside the call releases the lock with its connection, and the next
    attempt looks for the note (our ``source_id``) before posting.
    """
    if reply.note_message_id:
        return
    with transaction.atomic():
        locked = KokoReply.objects.select_for_update().only("note_message_id").get(pk=reply.pk)
        if locked.note_message_id:
            reply.note_message_id = locked.note_message_id
            return
        posted = _find_posted(client, reply, reply.note_source_id)
        if posted is None:
            posted = client.create_message(reply.conversation.conversation_id, text,
                                           private=True, source_id=reply.note_source_id)
        KokoReply.objects.filter(pk=reply.pk).update(note_message_id=posted.get("id"))
    reply.note_message_id = posted.get("id")


def _hand_over(client: ChatwootClient, reply: KokoReply, status: str) -> None:
    """Team by intent, conversation open, private note: each step is safe to repeat."""
    if reply.handover_done_at is not None:
        return
    conversation = reply.conversation
    team_id = team_for(reply.tenant_id, reply.intent)
    team_name = ""
    if team_id is not None:
        team = client.assign_team(conversation.conversation_id, team_id)
        team_name = str((team or {}).get("name") or "")
        KokoConversation.objects.filter(pk=conversation.pk).update(team_id=team_id)
    else:
        log.warning("koko.escalated.no-team tenant=%s conversation=%s intent=%s: no team "
                    "configured (escalation_teams); the conversation stays open, unassigned",
                    reply.tenant_id, conversation.conversation_id, reply.intent)
    if status not in ("open", ""):
        client.toggle_status(conversation.conversation_id, "open")
    _post_note(client, reply, escalation_note(reply, team_name, team_id))
    now = timezone.now()
    KokoReply.objects.filter(pk=reply.pk).update(handover_done_at=now)
    reply.handover_done_at = now
    log.info("koko.escalated tenant=%s conversation=%s message=%s team=%s",
             reply.tenant_id, conversation.conversation_id, reply.message_id, team_id)


def carry_out(reply: KokoReply, conversation_status: str = "") -> None:
    """Do what the reply's status still needs (resumable: each step records itself)."""
    status = reply.status
    if status == KokoReply.Status.SILENCED:
        return
    if status == KokoReply.Status.AUTO:
        if reply.send_state == KokoReply.SendState.SENT:
            return
        conversation = KokoConversation.objects.get(pk=reply.conversation_id)
        if (conversation.silenced_at is not None
                and reply.send_state == KokoReply.SendState.PENDING):
            # A colleague replied between the decision and the send: stay quiet.
            KokoReply.objects.filter(pk=reply.pk, send_state=KokoReply.SendState.PENDING) \
                .update(status=KokoReply.Status.SILENCED, send_state=KokoReply.SendState.NONE)
            return
        send_reply(reply)
        return
    if status == KokoReply.Status.AWAITING_APPROVAL:
        if not reply.note_message_id:
            _post_note(_client(reply.tenant_id), reply, approval_note(reply))
        return
    if status == KokoReply.Status.ESCALATED:
        _hand_over(_client(reply.tenant_id), reply, conversation_status)
        return
    if status in (KokoReply.Status.APPROVED, KokoReply.Status.EDITED):
        send_reply(reply)


def _record_trouble(reply: KokoReply, exc: Exception, *, final: bool) -> None:
    """On the row (the admin shows ``send_error``) and in the log; never re-raised."""
    text = f"{type(exc).__name__}: {exc}"[:2000]
    KokoReply.objects.filter(pk=reply.pk).update(send_error=text)
    reply.send_error = text
    args = (reply.tenant_id, reply.conversation_id, reply.message_id, reply.status, text)
    if final:
        log.error("koko.act.failed tenant=%s conversation=%s message=%s status=%s: %s", *args,
                  exc_info=not isinstance(exc, ChatwootError))
    else:
        log.warning("koko.act.retry tenant=%s conversation=%s message=%s status=%s: %s",
                    *args)


def act(reply: KokoReply, conversation_status: str = "", *, last_try: bool = False
        ) -> float | None:
    """``carry_out`` without ever failing the caller: None when done (or failed for good,
    recorded on the row), else the seconds after which to try again (a transient error,
    or another attempt holding the send claim). Our own database's errors do propagate:
    the caller's retry is the right answer to those."""
    try:
        carry_out(reply, conversation_status)
    except DatabaseError:
        raise
    except TransientDeliveryError as exc:
        _record_trouble(reply, exc, final=last_try)
        return None if last_try else max(exc.retry_after or 0.0, RESUME_FIRST_DELAY)
    except Exception as exc:  # a permanent Chatwoot answer, or a bug: not worth repeating
        _record_trouble(reply, exc, final=True)
        return None
    if reply.send_error:
        # Done now: the earlier error is history (a failed send keeps its own).
        KokoReply.objects.filter(pk=reply.pk).exclude(
            send_state=KokoReply.SendState.FAILED).update(send_error="")
    return None


# -- the hook ---------------------------------------------------------------------------------


class KokoAgent:
    """The Chatwoot bot hook (``apps.support_plugin.chatwoot.bot_hook``)."""

    def on_message(self, message: IncomingMessage) -> None:
        if not is_enabled(PLUGIN_ID, message.tenant_id):
            return
        reply = record(message)
        delay = act(reply, message.conversation_status)
        if delay is not None:
            from .tasks import resume_reply

            resume_reply.apply_async((reply.pk, message.conversation_status), countdown=delay)

    def on_activity(self, activity: ConversationActivity) -> None:
        if not is_enabled(PLUGIN_ID, activity.tenant_id):
            return
        if activity.kind == AGENT_MESSAGE:
            silence(activity)
        elif activity.kind in (CONVERSATION_UPDATED, MESSAGE_UPDATED):
            from .feedback import record_feedback

            record_feedback(activity)

    # One instance is registered; equality by type keeps a re-registration a no-op.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, KokoAgent)

    def __hash__(self) -> int:
        return hash(KokoAgent)


def silence(activity: ConversationActivity) -> None:
    """A colleague answered in the conversation: Kokó stops answering there."""
    conversation, _ = KokoConversation.objects.get_or_create(
        tenant_id=activity.tenant_id, account_id=activity.account_id,
        conversation_id=activity.conversation_id)
    updated = KokoConversation.objects.filter(pk=conversation.pk, silenced_at=None).update(
        silenced_at=timezone.now(), silenced_reason=KokoConversation.Silence.HUMAN_REPLY)
    if updated:
        log.info("koko.silenced tenant=%s conversation=%s reason=human_reply",
                 activity.tenant_id, activity.conversation_id)


__all__ = ("KokoAgent", "SendInFlight", "act", "carry_out", "escalation_teams", "record",
           "send_reply", "silence", "team_for")
