"""Kokó's transcripts in the retention registry: listed (manifest ``retention_policies``),
emptied after ``KOKO_TRANSCRIPT_RETENTION_DAYS`` while the decision and the feedback
stay; rows waiting for approval or still sending keep their texts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.plugin_manager.privacy.retention import apply_retention, retention_rules
from apps.support_plugin.koko.models import KokoConversation, KokoReply
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

OLD = timezone.now() - timedelta(days=400)
S = KokoReply.Status


def _reply(conversation: KokoConversation, message_id: int, **fields: Any) -> KokoReply:
    base: dict[str, Any] = {
        "customer_text": "Hívjon a +36 30 111 2222 számon", "draft_text": "Javaslat",
        "reply_text": "Válasz", "route": "auto", "intent": "berles", "confidence": 0.9,
        "status": S.AUTO, "send_state": KokoReply.SendState.SENT,
        "feedback": KokoReply.Feedback.UP}
    base.update(fields)
    return KokoReply.objects.create(tenant=conversation.tenant, conversation=conversation,
                                    account_id=1, message_id=message_id, **base)


def test_old_transcripts_are_emptied_the_decision_and_feedback_stay() -> None:
    tenant = TenantFactory()
    conversation = KokoConversation.objects.create(tenant=tenant, account_id=1,
                                                   conversation_id=7)
    old = _reply(conversation, 1, send_error="HTTP 404")
    waiting = _reply(conversation, 2, status=S.AWAITING_APPROVAL,
                     send_state=KokoReply.SendState.NONE)
    sending = _reply(conversation, 3, send_state=KokoReply.SendState.PENDING)
    fresh = _reply(conversation, 4)
    KokoReply.objects.filter(pk__in=[old.pk, waiting.pk, sending.pk]).update(created_at=OLD)

    counts = apply_retention()

    for row in (old, waiting, sending, fresh):
        row.refresh_from_db()
    assert counts["koko_transcripts"] == 1
    assert (old.customer_text, old.draft_text, old.reply_text, old.send_error) == ("",) * 4
    assert (old.intent, old.status, old.feedback, old.confidence) == ("berles", S.AUTO,
                                                                      "up", 0.9)
    assert waiting.customer_text and sending.reply_text and fresh.customer_text


def test_the_period_follows_its_setting_and_the_admin_lists_it(settings: Any,
                                                               admin_client: Client) -> None:
    settings.KOKO_TRANSCRIPT_RETENTION_DAYS = 500
    conversation = KokoConversation.objects.create(tenant=TenantFactory(), account_id=1,
                                                   conversation_id=8)
    KokoReply.objects.filter(pk=_reply(conversation, 1).pk).update(created_at=OLD)
    assert apply_retention()["koko_transcripts"] == 0
    rule = next(r for r in retention_rules() if r.key == "koko_transcripts")
    assert rule.period == "500 nap" and rule.system == "koko"
    page = admin_client.get(reverse("admin:privacy_retention")).content.decode()
    assert "Kokó beszélgetésszövegei" in page and "KOKO_TRANSCRIPT_RETENTION_DAYS" in page
