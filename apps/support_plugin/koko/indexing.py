"""Keeping articles' vectors and search text in step with their content.

An article is re-embedded only when the embedded text (hash) or the model changed, so
loading the same file twice costs nothing and editing one article costs one embedding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from django.utils import timezone

from .embeddings import EmbeddingProvider
from .models import KnowledgeArticle, KnowledgeChunk
from .normalize import sentences

MIN_CHUNK_CHARS = 12


def content_hash(article: KnowledgeArticle) -> str:
    return hashlib.sha256(article.embedding_text().encode("utf-8")).hexdigest()


def needs_embedding(article: KnowledgeArticle, provider: EmbeddingProvider) -> bool:
    return (article.embedding is None or article.embedding_model != provider.name
            or article.content_hash != content_hash(article))


def chunk_texts(article: KnowledgeArticle) -> list[str]:
    """The article's sentences worth retrieving on their own (not headings or fragments)."""
    return [s for s in sentences(article.body) if len(s) > MIN_CHUNK_CHARS]


def embed_articles(articles: Sequence[KnowledgeArticle], provider: EmbeddingProvider) -> int:
    """Embed those that need it (whole text and sentences, in one batch each) and save
    them. Returns how many articles were embedded."""
    stale = [a for a in articles if needs_embedding(a, provider)]
    vectors = provider.embed_passages([a.embedding_text() for a in stale])
    chunks = [(a, i, text) for a in stale for i, text in enumerate(chunk_texts(a))]
    # The title gives a lone sentence its context ("Kaució: ... 1-5 munkanap").
    chunk_vectors = provider.embed_passages([f"{a.title}: {text}" for a, _, text in chunks])
    KnowledgeChunk.objects.filter(article__in=stale).delete()
    KnowledgeChunk.objects.bulk_create([
        KnowledgeChunk(article=a, position=i, text=text, embedding=vector,
                       embedding_model=provider.name)
        for (a, i, text), vector in zip(chunks, chunk_vectors, strict=True)
    ])
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
