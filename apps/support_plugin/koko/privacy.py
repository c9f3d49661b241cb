"""Kokó's part of data-subject requests (``privacy_handlers`` in the manifest): the
conversations it saw, its decisions and replies, and the feedback on them, for a partner.

Rows are found by the partner id the Chatwoot flow stored (the contact was a known
partner when the message arrived), and by the person's e-mail or phone number written in
a message, a draft or a reply (a customer not yet known as a partner, or one who gave
their number in the chat): those conversations are the person's too. Erasure deletes
them (a reply row holds the customer's own words and the feedback); the read-back must
find none.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed

from .models import KokoConversation, KokoReply

REPLY_FIELDS = ("message_id", "created_at", "customer_text", "has_attachments", "route",
                "intent", "confidence", "category", "kb_ids", "source", "status",
                "reply_text", "sent_at", "feedback", "csat_rating", "feedback_at")


TEXT_COLUMNS = ("customer_text", "draft_text", "reply_text", "send_error")
# The national significant number's last digits: matches +36 30 …, 06-30-…, 30/…
PHONE_DIGITS = 9


def _mentions(subject: PrivacySubject) -> Q:
    """Replies whose texts carry the subject's e-mail or phone (in any notation)."""
    found = Q(pk__in=[])
    if subject.email:
        for column in TEXT_COLUMNS:
            found |= Q(**{f"{column}__icontains": subject.email})
    digits = "".join(ch for ch in subject.phone if ch.isdigit())[-PHONE_DIGITS:]
    if len(digits) == PHONE_DIGITS:
        for column in TEXT_COLUMNS:
            found |= Q(pk__in=RawSQL(
                f"SELECT id FROM {KokoReply._meta.db_table} WHERE "
                f"position(%s in regexp_replace({column}, '[^0-9]', '', 'g')) > 0",
                (digits,)))
    return found


def _conversations(subject: PrivacySubject, partner_id: int | None) -> Any:
    mentioned = KokoReply.objects.filter(tenant=subject.tenant).filter(_mentions(subject))
    by_text = Q(pk__in=mentioned.values("conversation_id"))
    held = by_text | Q(partner_id=partner_id) if partner_id is not None else by_text
    return KokoConversation.objects.filter(tenant=subject.tenant).filter(held)


class KokoPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        conversations = []
        for conversation in _conversations(subject, subject.partner_id).order_by("pk"):
            replies = conversation.replies.order_by("created_at").values(*REPLY_FIELDS)
            conversations.append({
                "account_id": conversation.account_id,
                "conversation_id": conversation.conversation_id,
                "created_at": conversation.created_at.isoformat(),
                "messages": [{key: (value.isoformat() if hasattr(value, "isoformat") else value)
                              for key, value in row.items()} for row in replies],
            })
        return {"conversations": conversations}

    def erase(self, subject: PrivacySubject) -> Receipt:
        with transaction.atomic():
            conversations = list(_conversations(subject, subject.partner_id)
                                 .values_list("pk", flat=True))
            replies, _ = KokoReply.objects.filter(conversation_id__in=conversations).delete()
            KokoConversation.objects.filter(pk__in=conversations).delete()
        left = (_conversations(subject, subject.partner_id).count()
                + KokoReply.objects.filter(conversation_id__in=conversations).count()
                + KokoReply.objects.filter(tenant=subject.tenant)
                .filter(_mentions(subject)).count())
        if left:
            raise VerificationFailed(f"{left} Kokó rows still held")
        if not conversations:
            return Receipt("nothing_held", "no Kokó conversation of the person")
        return Receipt("deleted", f"{len(conversations)} conversations, {replies} rows with "
                                  "replies and feedback deleted; re-read: 0 left")


__all__ = ("KokoPrivacyHandler",)
