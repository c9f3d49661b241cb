"""Hybrid retrieval in PostgreSQL: pgvector cosine top-k and accent-folded full-text top-k,
fused with reciprocal rank fusion, in one SQL round trip."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from .embeddings import EmbeddingProvider, Vector
from .models import KnowledgeArticle
from .normalize import content_words

# RRF's usual constant: dampens the weight of the very first ranks.
RRF_K = 60
# Hungarian is agglutinative ("kauciot", "kauciora", "kauciomat"). Matching the first
# PREFIX_LEN letters of each (folded) query word as a tsquery prefix catches the suffixed
# forms without a stemmer that would need accents.
PREFIX_LEN = 5


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


def ts_query(text: str) -> str:
    """An OR of prefix terms over the folded content words, safe for to_tsquery."""
    terms = []
    for word in dict.fromkeys(content_words(text)):
        if len(word) < 3 or not word.isalnum():
            continue
        stem = word[:PREFIX_LEN] if len(word) > PREFIX_LEN else word
        terms.append(f"{stem}:*")
    return " | ".join(terms[:32])


_SQL = """
WITH vec AS (
    SELECT id, 1 - dist AS cosine, row_number() OVER (ORDER BY dist) AS rnk
    FROM (
        SELECT id, embedding <=> %(vector)s::vector AS dist
        FROM {table}
        WHERE is_active AND embedding_model = %(model)s
        ORDER BY embedding <=> %(vector)s::vector
        LIMIT %(k)s
    ) nearest
),
txt AS (
    SELECT id, rank, row_number() OVER (ORDER BY rank DESC, id) AS rnk
    FROM (
        SELECT id, ts_rank_cd(search_vector, query, 32) AS rank
        FROM {table}, to_tsquery('simple', %(tsquery)s) AS query
        WHERE %(tsquery)s <> '' AND is_active AND search_vector @@ query
        ORDER BY rank DESC, id
        LIMIT %(k)s
    ) matched
)
SELECT a.id, a.kb_id, a.title, a.body, a.intent,
       COALESCE(1.0 / (%(rrf)s + vec.rnk), 0) + COALESCE(1.0 / (%(rrf)s + txt.rnk), 0)
           AS fused,
       vec.cosine, txt.rank, vec.rnk, txt.rnk
FROM vec FULL OUTER JOIN txt ON txt.id = vec.id
JOIN {table} a ON a.id = COALESCE(vec.id, txt.id)
ORDER BY fused DESC, vec.cosine DESC NULLS LAST, a.kb_id
LIMIT %(limit)s
""".format(table=KnowledgeArticle._meta.db_table)  # noqa: S608 (table name from the model)


def search_vector(query_vector: Vector, text: str, model: str, *, k: int = 5,
                  limit: int | None = None) -> list[Hit]:
    params = {
        "vector": "[" + ",".join(f"{x:.7f}" for x in query_vector.tolist()) + "]",
        "model": model,
        "tsquery": ts_query(text),
        "k": k,
        "rrf": RRF_K,
        "limit": limit or k,
    }
    with connection.cursor() as cursor:
        # HNSW's default candidate list (40) is plenty for k <= 20.
        cursor.execute(_SQL, params)
        rows = cursor.fetchall()
    return [
        Hit(article_id=r[0], kb_id=r[1], title=r[2], body=r[3], intent=r[4],
            fused=float(r[5]), cosine=None if r[6] is None else float(r[6]),
            text_rank=None if r[7] is None else float(r[7]),
            vector_rank=r[8], text_rank_position=r[9])
        for r in rows
    ]


def search(text: str, provider: EmbeddingProvider, *, k: int = 5) -> list[Hit]:
    return search_vector(provider.embed_query(text), text, provider.name, k=k)
