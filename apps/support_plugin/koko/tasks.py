"""Thin Celery wrappers taking ids."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from .config import koko_settings
from .embeddings import get_provider
from .indexing import embed_articles
from .models import KnowledgeArticle


@shared_task(name="support_koko.embed_article", acks_late=True,
             autoretry_for=(ConnectionError, TimeoutError), retry_backoff=True, max_retries=5)
def embed_article(article_id: int) -> int:
    """Re-embed one article if its text or the model changed (idempotent)."""
    article = KnowledgeArticle.objects.filter(pk=article_id).first()
    if article is None:
        return 0
    settings = koko_settings(None)
    return embed_articles([article], get_provider(settings.embedding_provider,
                                                  settings.gemini_api_key))


@shared_task(name="support_koko.send_approved_reply", acks_late=True, ignore_result=True,
             bind=True, max_retries=8)
def send_approved_reply(self: Any, reply_id: int) -> None:
    """Retry the send of an approved reply that Chatwoot did not take (idempotent: the
    send claim and the look-before-resend make a repeat harmless)."""
    from apps.plugin_manager.eventbus.errors import TransientDeliveryError

    from .flow import send_reply
    from .models import KokoReply

    reply = KokoReply.objects.filter(pk=reply_id).first()
    if reply is None:
        return
    try:
        send_reply(reply)
    except TransientDeliveryError as exc:
        raise self.retry(exc=exc, countdown=min(600, 5 * 2 ** self.request.retries)) from exc


@shared_task(name="support_koko.resume_reply", acks_late=True, ignore_result=True, bind=True,
             max_retries=8)
def resume_reply(self: Any, reply_id: int, conversation_status: str = "") -> None:
    """Finish what a customer message's reply still needs after a transient Chatwoot
    error (or while another attempt held the send claim), apart from the inbound delivery:
    resumable and at most once, like a redelivered webhook. The last try records the
    error for good."""
    from .flow import act
    from .models import KokoReply

    reply = KokoReply.objects.filter(pk=reply_id).first()
    if reply is None:
        return
    last_try = self.request.retries >= self.max_retries
    delay = act(reply, conversation_status, last_try=last_try)
    if delay is not None:
        raise self.retry(countdown=min(600.0, max(delay, 5.0 * 2 ** self.request.retries)))
