"""Hybrid retrieval against the real knowledge base in PostgreSQL."""

from __future__ import annotations

import pytest

from apps.support_plugin.koko.embeddings import EmbeddingProvider
from apps.support_plugin.koko.retrieval import search, ts_query

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("query", "kb_id"), [
    ("mennyi a kaucio", "kb-018"),
    ("elfogadjak a szep kartyat", "kb-008"),
    ("gyori uzlet nyitvatartasa", "kb-003"),
    ("meddig van garancia a javitasra", "kb-048"),
    ("lancfuresz berles ara", "kb-030"),
    ("Mennyi a kaució?", "kb-018"),
])
def test_finds_the_article_for_messages_typed_without_accents(
    kb: object, provider: EmbeddingProvider, query: str, kb_id: str
) -> None:
    hits = search(query, provider, k=5)
    assert hits[0].kb_id == kb_id


def test_hits_carry_fused_and_component_scores(kb: object, provider: EmbeddingProvider) -> None:
    hits = search("kaucio visszateritese kartyara", provider, k=5)

    assert 1 <= len(hits) <= 5
    assert [h.fused for h in hits] == sorted((h.fused for h in hits), reverse=True)
    top = hits[0]
    assert top.kb_id == "kb-018"
    assert top.cosine is not None and 0 < top.cosine <= 1
    assert top.sentence is not None and top.sentence >= 0
    assert top.text_rank is not None and top.text_rank > 0  # the folded full-text matched


def test_full_text_query_is_folded_prefixed_and_safe() -> None:
    assert ts_query("Kaució visszatérítés?") == "kauci:* | vissz:*"
    assert ts_query("a az és") == ""  # only stop words: no full-text part
    assert ts_query("x'); DROP TABLE --") == "drop:* | table:*"


def test_gibberish_still_returns_ranked_articles_without_error(
    kb: object, provider: EmbeddingProvider
) -> None:
    hits = search("qwzx vbnm", provider, k=3)
    assert len(hits) == 3
    assert all(h.text_rank is None for h in hits)


@pytest.mark.django_db
def test_the_planner_hint_does_not_leak_into_the_session(
        kb: object, provider: EmbeddingProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    from apps.support_plugin.koko import retrieval

    monkeypatch.setattr(retrieval, "_large_kb_cache", (0.0, False))
    monkeypatch.setattr(retrieval, "LARGE_KB_ARTICLES", -2)  # any size counts as large
    assert search("mennyi a kaució", provider)
    assert retrieval._large_kb_cache[1] is True
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_seqscan")
        assert cursor.fetchone() == ("on",)
