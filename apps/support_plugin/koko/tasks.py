"""Thin Celery wrappers taking ids."""

from __future__ import annotations

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
