"""Keeping articles' vectors and search text in step with their content.

An article is re-embedded only when the embedded text (hash) or the model changed, so
loading the same file twice costs nothing and editing one article costs one embedding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.utils import timezone

from .embeddings import EmbeddingProvider
from .models import KnowledgeArticle


def content_hash(article: KnowledgeArticle) -> str:
    return hashlib.sha256(article.embedding_text().encode("utf-8")).hexdigest()


def needs_embedding(article: KnowledgeArticle, provider: EmbeddingProvider) -> bool:
    return (article.embedding is None or article.embedding_model != provider.name
            or article.content_hash != content_hash(article))


def embed_articles(articles: Sequence[KnowledgeArticle], provider: EmbeddingProvider) -> int:
    """Embed those that need it (in one batch) and save them. Returns how many."""
    stale = [a for a in articles if needs_embedding(a, provider)]
    vectors = provider.embed_passages([a.embedding_text() for a in stale])
    now = timezone.now()
    for article, vector in zip(stale, vectors, strict=True):
        article.embedding = vector
        article.embedding_model = provider.name
        article.embedding_dim = provider.dimension
        article.content_hash = content_hash(article)
        article.embedded_at = now
        article.save(update_fields=["embedding", "embedding_model", "embedding_dim",
                                    "content_hash", "embedded_at", "modified_at"])
    return len(stale)
