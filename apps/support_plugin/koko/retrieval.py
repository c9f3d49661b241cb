"""Hybrid retrieval in PostgreSQL: pgvector cosine top-k and accent-folded full-text top-k,
fused with reciprocal rank fusion, in one SQL round trip.

The vector side scores an article by its whole-text cosine plus its best sentence's
cosine (candidates come from both HNSW indexes); the text side is ts_rank_cd over the
folded title (weight A) and body (weight D) with prefix terms.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection

from .embeddings import EmbeddingProvider, Vector
from .models import KnowledgeArticle, KnowledgeChunk
from .normalize import content_words

# RRF's usual constant: dampens the weight of the very first ranks.
RRF_K = 60
# The full-text list counts less than the vector list: on the dev set, words shared with
# the wrong article (e.g. "berles" everywhere) mislead it more often than the vectors.
TEXT_WEIGHT = 0.5
# Hungarian is agglutinative ("kauciot", "kauciora", "kauciomat"). Matching the first
# PREFIX_LEN letters of each (folded) query word as a tsquery prefix catches the suffixed
# forms without a stemmer that would need accents.
PREFIX_LEN = 5
HNSW_EF_SEARCH = 100

if TYPE_CHECKING:
    from django.db.backends.utils import CursorWrapper, _SQLType


@dataclass(frozen=True)
class Hit:
    article_id: int
    kb_id: str
    title: str
    body: str
    intent: str
    fused: float  # reciprocal rank fusion score
    cosine: float | None  # cosine similarity with the query (None: not in the vector top-k)
    text_rank: float | None  # ts_rank_cd of the full-text match (None: no match)
    vector_rank: int | None
    text_rank_position: int | None
    sentence: float | None = None  # best sentence's cosine with the query
    tags: tuple[str, ...] = ()


def ts_query(text: str) -> str:
    """An OR of prefix terms over the folded content words, safe for to_tsquery."""
    terms = []
    for word in dict.fromkeys(content_words(text)):
        if len(word) < 3 or not word.isalnum():
            continue
        stem = word[:PREFIX_LEN] if len(word) > PREFIX_LEN else word
        terms.append(f"{stem}:*")
    return " | ".join(terms[:32])


_ARTICLES = KnowledgeArticle._meta.db_table
_CHUNKS = KnowledgeChunk._meta.db_table
_SQL = f"""
WITH q AS (SELECT %(vector)s::vector AS v),
by_article AS (
    SELECT a.id FROM {_ARTICLES} a
    WHERE a.is_active AND a.embedding_model = %(model)s
    ORDER BY a.embedding <=> %(vector)s::vector LIMIT %(candidates)s
),
by_chunk AS (
    SELECT c.article_id AS id FROM {_CHUNKS} c
    WHERE c.embedding_model = %(model)s
    ORDER BY c.embedding <=> %(vector)s::vector LIMIT %(chunk_candidates)s
),
candidates AS (SELECT id FROM by_article UNION SELECT id FROM by_chunk),
scored AS (
    SELECT a.id, 1 - (a.embedding <=> q.v) AS cosine,
           (SELECT max(1 - (c.embedding <=> q.v)) FROM {_CHUNKS} c
             WHERE c.article_id = a.id AND c.embedding_model = %(model)s) AS sentence
    FROM candidates JOIN {_ARTICLES} a ON a.id = candidates.id, q
    WHERE a.is_active AND a.embedding_model = %(model)s
),
vec AS (
    SELECT id, cosine, sentence,
           row_number() OVER (ORDER BY cosine + COALESCE(sentence, cosine) DESC, id) AS rnk
    FROM scored
),
txt AS (
    SELECT id, rank, row_number() OVER (ORDER BY rank DESC, id) AS rnk
    FROM (
        SELECT id, ts_rank_cd(search_vector, query, 32) AS rank
        FROM {_ARTICLES}, to_tsquery('simple', %(tsquery)s) AS query
        WHERE %(tsquery)s <> '' AND is_active AND search_vector @@ query
        ORDER BY rank DESC, id
        LIMIT %(k)s
    ) matched
)
SELECT a.id, a.kb_id, a.title, a.body, a.intent,
       COALESCE(1.0 / (%(rrf)s + vec.rnk), 0)
           + %(text_weight)s * COALESCE(1.0 / (%(rrf)s + txt.rnk), 0) AS fused,
       vec.cosine, txt.rank, vec.rnk, txt.rnk, vec.sentence, a.tags
FROM (SELECT * FROM vec WHERE rnk <= %(k)s) vec
FULL OUTER JOIN txt ON txt.id = vec.id
JOIN {_ARTICLES} a ON a.id = COALESCE(vec.id, txt.id)
ORDER BY fused DESC, vec.cosine DESC NULLS LAST, a.kb_id
LIMIT %(limit)s
"""


# Above this many articles (the planner's estimate) the index hint applies.
LARGE_KB_ARTICLES = 1000
_LARGE_KB_TTL = 300.0  # seconds a size estimate is reused
_large_kb_cache: tuple[float, bool] = (0.0, False)


def _large_kb(cursor: CursorWrapper) -> bool:
    global _large_kb_cache
    checked_at, large = _large_kb_cache
    now = time.monotonic()
    if now - checked_at > _LARGE_KB_TTL or checked_at == 0.0:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [_ARTICLES])
        row = cursor.fetchone()
        large = bool(row and row[0] > LARGE_KB_ARTICLES)
        _large_kb_cache = (now, large)
    return large


def search_vector(query_vector: Vector, text: str, model: str, *, k: int = 5,
                  limit: int | None = None) -> list[Hit]:
    params: dict[str, _SQLType] = {
        "vector": "[" + ",".join(f"{x:.7f}" for x in query_vector.tolist()) + "]",
        "model": model,
        "tsquery": ts_query(text),
        "k": k,
        "candidates": k * 2,
        "chunk_candidates": k * 8,
        "rrf": RRF_K,
        "text_weight": TEXT_WEIGHT,
        "limit": limit or k,
    }
    with connection.cursor() as cursor:
        # HNSW is approximate: a longer candidate list than the default 40 (= the sentence
        # LIMIT) raises its recall; at 25 000 sentences 100 cost nothing measurable
        # (interleaved runs, docs/benchmarks.md).
        cursor.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        # With thousands of articles a common word matches ~40 % of them, and the planner
        # then prefers a sequential scan evaluating every tsvector over the GIN bitmap
        # (5 000 articles: statement p95 171 -> 92 ms, same results). Every access path of
        # this statement is indexed, so sequential scans are off for it alone, and only
        # for a large KB. A small one is scanned exactly: index scans (the approximate,
        # randomly built HNSW graphs) are off for the statement, so the same KB gives the
        # same answers after every load (the planner alone sometimes chose HNSW on stale
        # statistics, and one test's top article flipped between runs); the full-text side
        # keeps its bitmap scans. The evaluation figures are measured this way.
        switch = "enable_seqscan" if _large_kb(cursor) else "enable_indexscan"
        cursor.execute(f"SET {switch} = off")
        try:
            cursor.execute(_SQL, params)
            rows = cursor.fetchall()
        except Exception:
            # Inside a transaction the failed statement aborts it, and its rollback
            # reverts the SET; in autocommit the session must be reset by hand.
            if not connection.in_atomic_block:
                cursor.execute(f"RESET {switch}")
            raise
        cursor.execute(f"RESET {switch}")
    return [
        Hit(article_id=r[0], kb_id=r[1], title=r[2], body=r[3], intent=r[4],
            fused=float(r[5]), cosine=None if r[6] is None else float(r[6]),
            text_rank=None if r[7] is None else float(r[7]),
            vector_rank=r[8], text_rank_position=r[9],
            sentence=None if r[10] is None else float(r[10]), tags=tuple(r[11] or ()))
        for r in rows
    ]


def search(text: str, provider: EmbeddingProvider, *, k: int = 5) -> list[Hit]:
    return search_vector(provider.embed_query(text), text, provider.name, k=k)
