"""The approval queue's actions: approve, edit-and-send, reject.

The decision is one conditional UPDATE (``awaiting_approval`` -> approved / edited /
rejected): of two clicks, or two colleagues, exactly one wins, and only the winner sends.
The send itself goes through ``flow.send_reply`` (claim + look-before-resend), so even a
retried send after a Chatwoot timeout reaches the customer once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from apps.plugin_manager.eventbus.errors import TransientDeliveryError
from apps.support_plugin.chatwoot.errors import ChatwootError

from .flow import send_reply
from .models import KokoReply

log = logging.getLogger("support_plugin.koko.approval")

MAX_REPLY_CHARS = 5000


class Outcome(StrEnum):
    SENT = "sent"
    QUEUED = "queued"  # decided; Chatwoot did not answer, the worker retries the send
    FAILED = "failed"  # decided; Chatwoot refused the message
    REJECTED = "rejected"
    ALREADY_DECIDED = "already_decided"
    INVALID = "invalid"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message: str  # Hungarian, for the admin


def _decide(reply: KokoReply, status: str, user: AbstractBaseUser | None, text: str) -> bool:
    fields: dict[str, object] = {"status": status, "decided_by": user, "decided_at": timezone.now()}
    if status != KokoReply.Status.REJECTED:
        fields.update(reply_text=text, send_state=KokoReply.SendState.PENDING)
    return bool(KokoReply.objects.filter(
        pk=reply.pk, status=KokoReply.Status.AWAITING_APPROVAL).update(**fields))


def _send(reply: KokoReply) -> Result:
    from .tasks import send_approved_reply

    try:
        send_reply(reply)
    except TransientDeliveryError:
        send_approved_reply.apply_async((reply.pk,), countdown=5)
        return Result(Outcome.QUEUED, "A Chatwoot most nem érhető el; a választ a háttérben "
                                      "újra megpróbáljuk elküldeni (egyszer kerül ki).")
    except ChatwootError as exc:
        log.warning("koko.approval.send-failed reply=%s: %s", reply.pk, exc)
        return Result(Outcome.FAILED, "A Chatwoot elutasította az üzenetet, a válasz nem "
                                      "ment ki. Részletek a válasz „küldési hiba” mezőjében.")
    return Result(Outcome.SENT, "A választ elküldtük az ügyfélnek.")


def approve(reply: KokoReply, user: AbstractBaseUser | None, text: str | None = None) -> Result:
    """Approve the suggestion as it is, or (``text``) edited. Sends the reply once."""
    edited = text is not None and text.strip() != reply.draft_text.strip()
    body = (text if text is not None else reply.draft_text).strip()
    if not body:
        return Result(Outcome.INVALID, "Üres választ nem küldhetünk el.")
    if len(body) > MAX_REPLY_CHARS:
        return Result(Outcome.INVALID,
                      f"A válasz legfeljebb {MAX_REPLY_CHARS} karakter lehet.")
    status = KokoReply.Status.EDITED if edited else KokoReply.Status.APPROVED
    if not _decide(reply, status, user, body):
        reply.refresh_from_db()
        return Result(Outcome.ALREADY_DECIDED,
                      f"Erről a válaszról már döntöttek ({reply.get_status_display()}); "
                      "nem küldtük el még egyszer.")
    reply.refresh_from_db()
    log.info("koko.approval.%s reply=%s user=%s", status, reply.pk, getattr(user, "pk", None))
    return _send(reply)


def reject(reply: KokoReply, user: AbstractBaseUser | None) -> Result:
    if not _decide(reply, KokoReply.Status.REJECTED, user, ""):
        reply.refresh_from_db()
        return Result(Outcome.ALREADY_DECIDED,
                      f"Erről a válaszról már döntöttek ({reply.get_status_display()}).")
    log.info("koko.approval.rejected reply=%s user=%s", reply.pk, getattr(user, "pk", None))
    return Result(Outcome.REJECTED, "A javaslatot elutasítottuk; az ügyfél nem kap választ "
                                    "Kokótól, egy kolléga válaszol neki.")


__all__ = ("Outcome", "Result", "approve", "reject")
