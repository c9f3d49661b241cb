"""Feedback on Kokó's replies, from Chatwoot, stored on the reply it is about.

Two sources (contracts/chatwoot NOTES §10.3):

* a conversation custom attribute ``koko_feedback`` (👍 / 👎, also ``up``/``down``,
  ``+1``/``-1``, ``jó``/``rossz``), set by an agent or by the widget's
  ``setConversationCustomAttributes``; arrives as ``conversation_updated``. An optional
  ``koko_feedback_message`` names the Chatwoot message id of the reply; without it the
  feedback is about Kokó's latest sent reply in the conversation.
* a CSAT answer: ``message_updated`` of an ``input_csat`` message whose
  ``content_attributes.submitted_values.csat_survey_response.rating`` is 1-5 (4-5 👍,
  1-2 👎, 3 only the rating), about Kokó's latest sent reply.

Repeated webhooks write the same values again (idempotent).
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

from apps.support_plugin.chatwoot.bot_hook import CONVERSATION_UPDATED, ConversationActivity

from .models import KokoReply

log = logging.getLogger("support_plugin.koko.feedback")

ATTRIBUTE = "koko_feedback"
MESSAGE_ATTRIBUTE = "koko_feedback_message"
_UP = {"👍", "up", "+1", "1", "jó", "jo", "igen", "yes", "true", "hasznos"}
_DOWN = {"👎", "down", "-1", "0", "rossz", "nem", "no", "false", "nem hasznos"}


def parse_thumb(value: object) -> str:
    text = str(value if value is not None else "").strip().lower()
    text = text.replace("\ufe0f", "")  # emoji variation selector
    if text in _UP:
        return KokoReply.Feedback.UP
    if text in _DOWN:
        return KokoReply.Feedback.DOWN
    return KokoReply.Feedback.NONE


def _target(activity: ConversationActivity, chatwoot_message_id: object = None) -> KokoReply | None:
    replies = KokoReply.objects.filter(
        tenant_id=activity.tenant_id, account_id=activity.account_id,
        conversation__conversation_id=activity.conversation_id,
        send_state=KokoReply.SendState.SENT)
    if chatwoot_message_id not in (None, ""):
        try:
            return replies.filter(chatwoot_message_id=int(str(chatwoot_message_id))).first()
        except ValueError:
            return None
    return replies.order_by("-sent_at", "-pk").first()


def _csat_rating(payload: dict[str, Any]) -> int | None:
    if payload.get("content_type") != "input_csat":
        return None
    attributes = payload.get("content_attributes") or {}
    submitted = attributes.get("submitted_values") if isinstance(attributes, dict) else None
    response = (submitted or {}).get("csat_survey_response") if isinstance(submitted,
                                                                            dict) else None
    rating = (response or {}).get("rating") if isinstance(response, dict) else None
    if isinstance(rating, int) and 1 <= rating <= 5:
        return rating
    return None


def record_feedback(activity: ConversationActivity) -> KokoReply | None:
    payload = activity.payload
    if activity.kind == CONVERSATION_UPDATED:
        custom = payload.get("custom_attributes") or {}
        if not isinstance(custom, dict) or ATTRIBUTE not in custom:
            return None
        thumb = parse_thumb(custom.get(ATTRIBUTE))
        if not thumb:
            return None
        reply = _target(activity, custom.get(MESSAGE_ATTRIBUTE))
        if reply is None:
            return None
        fields: dict[str, Any] = {"feedback": thumb, "feedback_source": "custom_attribute"}
    else:
        rating = _csat_rating(payload)
        if rating is None:
            return None
        reply = _target(activity)
        if reply is None:
            return None
        thumb = (KokoReply.Feedback.UP if rating >= 4
                 else KokoReply.Feedback.DOWN if rating <= 2 else KokoReply.Feedback.NONE)
        fields = {"csat_rating": rating, "feedback": thumb, "feedback_source": "csat"}
    changed = any(getattr(reply, key) != value for key, value in fields.items())
    if changed:
        KokoReply.objects.filter(pk=reply.pk).update(feedback_at=timezone.now(), **fields)
        log.info("koko.feedback tenant=%s reply=%s feedback=%s source=%s", reply.tenant_id,
                 reply.pk, fields["feedback"] or "-", fields["feedback_source"])
    reply.refresh_from_db()
    return reply


__all__ = ("ATTRIBUTE", "MESSAGE_ATTRIBUTE", "parse_thumb", "record_feedback")
