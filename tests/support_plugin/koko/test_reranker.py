"""The reranker (which retrieved article answers?) and the route classifier's shape."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from apps.support_plugin.koko.classifier import ROUTE_AUTO, ROUTE_PERSON, train
from apps.support_plugin.koko.reranker import (
    FEATURES,
    Reranker,
    candidate_features,
    document_frequencies,
    fit_reranker,
    load_reranker,
)
from apps.support_plugin.koko.retrieval import Hit


def hit(kb_id: str, title: str, body: str, intent: str, rank: int, cosine: float,
        tags: tuple[str, ...] = ()) -> Hit:
    return Hit(rank, kb_id, title, body, intent, 1 / (60 + rank), cosine, None, rank, None,
               cosine, tags)


DEPOSIT = hit("kb-018", "Kaució", "A kaució összege gépenként eltér.", "berles", 2, 0.80,
              ("kaució",))
PAYMENT = hit("kb-008", "Fizetési módok", "Készpénz, bankkártya, átutalás.", "general", 1,
              0.82)
DF, DOCS = document_frequencies(["Kaució kaució A kaució összege gépenként eltér.",
                                 "Fizetési módok Készpénz, bankkártya, átutalás.",
                                 "Nyitvatartás hétfőtől péntekig"])


def test_features_are_relative_to_the_other_candidates() -> None:
    rows = candidate_features([PAYMENT, DEPOSIT], "Mennyi a kaucio?",
                              {"berles": 0.7, "general": 0.2}, DF, DOCS)
    assert set(rows[0]) == set(FEATURES)
    assert rows[1]["title_cover"] == pytest.approx(1.0)  # "kauci" (folded) is its title
    assert rows[0]["title_cover"] == 0.0 and rows[0]["title_cover_gap"] == pytest.approx(-1.0)
    assert rows[0]["cosine_gap"] == 0.0 and rows[1]["cosine_gap"] == pytest.approx(-0.02)
    assert rows[1]["intent_prob_gap"] == 0.0 and rows[0]["intent_prob"] == 0.2
    assert candidate_features([], "x", {}, DF, DOCS) == []


def test_a_fitted_reranker_puts_the_title_match_first_and_survives_json(tmp_path: Path) -> None:
    groups = [([PAYMENT, DEPOSIT], text, {"berles": 0.6, "general": 0.4},
               frozenset({"kb-018"})) for text in ("kaucio?", "Mennyi a kaució?", "kauciot")]
    groups += [([PAYMENT, DEPOSIT], "Lehet kártyával fizetni? fizetési mód",
                {"berles": 0.3, "general": 0.7}, frozenset({"kb-008"}))]
    reranker = fit_reranker(groups, DF, DOCS)
    ranked = reranker.rerank([PAYMENT, DEPOSIT], "Mekkora a kaució?", {"berles": 0.6})
    assert [h.kb_id for h in ranked.hits] == ["kb-018", "kb-008"]
    assert 0.5 < ranked.top_probability <= 1.0
    path = tmp_path / "reranker.json"
    path.write_text(json.dumps(reranker.to_json(), ensure_ascii=False))
    again = Reranker.from_json(json.loads(path.read_text()))
    assert [h.kb_id for h in again.rerank([PAYMENT, DEPOSIT], "Mekkora a kaució?",
                                          {"berles": 0.6}).hits] == ["kb-018", "kb-008"]


def test_reranker_weights_for_other_features_are_not_loaded(tmp_path: Path) -> None:
    stale = tmp_path / "reranker.json"
    stale.write_text(json.dumps({"features": ["cosine"], "coef": [1.0], "intercept": 0.0,
                                 "mean": [0.0], "scale": [1.0], "df": {}, "documents": 0}))
    assert load_reranker(stale) is None  # the brain then caps every reply at approval


def test_a_two_class_model_gives_both_probabilities() -> None:
    rng = np.random.default_rng(3)
    vectors = [rng.normal(size=4) + (2 if i % 2 else -2) for i in range(20)]
    labels = [ROUTE_AUTO if i % 2 else ROUTE_PERSON for i in range(20)]
    model = train(vectors, [""] * 20, labels, "test")
    probs = model.probabilities(np.full(4, 2.0))
    assert set(probs) == {ROUTE_AUTO, ROUTE_PERSON}
    assert probs[ROUTE_AUTO] > 0.9 and sum(probs.values()) == pytest.approx(1.0)
