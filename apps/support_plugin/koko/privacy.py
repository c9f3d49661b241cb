"""Kokó's part of data-subject requests (``privacy_handlers`` in the manifest): the
conversations it saw, its decisions and replies, and the feedback on them, for a partner.

Rows are found by the partner id the Chatwoot flow stored (the contact was a known
partner when the message arrived). Erasure deletes them (a reply row holds the
customer's own words); the read-back must find none.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed

from .models import KokoConversation, KokoReply

REPLY_FIELDS = ("message_id", "created_at", "customer_text", "has_attachments", "route",
                "intent", "confidence", "category", "kb_ids", "source", "status",
                "reply_text", "sent_at", "feedback", "csat_rating", "feedback_at")


def _conversations(subject: PrivacySubject, partner_id: int) -> Any:
    return KokoConversation.objects.filter(tenant=subject.tenant, partner_id=partner_id)


class KokoPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        if subject.partner_id is None:
            return {"conversations": []}
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
        if subject.partner_id is None:
            return Receipt("nothing_held", "no partner id")
        with transaction.atomic():
            conversations = list(_conversations(subject, subject.partner_id)
                                 .values_list("pk", flat=True))
            replies, _ = KokoReply.objects.filter(conversation_id__in=conversations).delete()
            KokoConversation.objects.filter(pk__in=conversations).delete()
        left = _conversations(subject, subject.partner_id).count() + KokoReply.objects.filter(
            conversation_id__in=conversations).count()
        if left:
            raise VerificationFailed(f"{left} Kokó rows still held")
        if not conversations:
            return Receipt("nothing_held", "no Kokó conversation of the partner")
        return Receipt("deleted", f"{len(conversations)} conversations, {replies} rows with "
                                  "replies and feedback deleted; re-read: 0 left")


__all__ = ("KokoPrivacyHandler",)
