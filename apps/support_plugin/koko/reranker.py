"""Reranking of the retrieved articles: which of the top hits answers the message?

Retrieval's fused ranking puts the labelled article first for about three answerable
messages in four, but the right one is among the top five for nearly all of them. A
pointwise logistic regression over per-candidate signals reorders those five:

* the retrieval scores (cosine, best sentence, ranks, fused score), each also relative to
  the best candidate of the same message, so the model compares candidates of one
  message rather than messages;
* lexical coverage: the IDF-weighted share of the message's word stems found in the
  candidate's title and tags, and in the whole article (stems are accent-folded 5-letter
  prefixes, which absorb most Hungarian suffixes);
* the intent classifier's probability of the candidate article's intent (a repair
  question should not get a rental price list).

It is fitted on the dev set's labelled articles inside the training folds only
(``evaluation.train_models``), stored as JSON (weights plus the knowledge base's stem
document frequencies) and applied with plain Python at run time.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .classifier import WEIGHTS_DIR, stems
from .retrieval import Hit
from .standardized_logit import StandardizedLogit
from .standardized_logit import fit as fit_logit
from .weights_file import read_weights, write_weights

RERANKER_WEIGHTS = WEIGHTS_DIR / "reranker.json"

FEATURES = (
    "cosine",  # whole-article cosine
    "sentence",  # best sentence's cosine
    "cosine_gap",  # cosine minus the best cosine among the candidates
    "sentence_gap",  # best-sentence cosine minus the best among the candidates
    "vector_rank",  # 1 / vector rank (0: not in the vector list)
    "text_rank",  # 1 / full-text rank (0: no full-text match)
    "fused",  # fused score relative to the best fused score
    "title_cover",  # IDF-weighted share of the message's stems in the title and tags
    "body_cover",  # IDF-weighted share of the message's stems anywhere in the article
    "title_any",  # 1 when any message stem is in the title or tags
    "title_cover_gap",  # title_cover minus the best among the candidates
    "body_cover_gap",  # body_cover minus the best among the candidates
    "intent_prob",  # classifier probability of the candidate article's intent
    "intent_prob_gap",  # that minus the best among the candidates
)


def _idf(df: Mapping[str, int], documents: int, stem: str) -> float:
    return math.log((documents + 1) / (df.get(stem, 0) + 0.5))


def document_frequencies(texts: Iterable[str]) -> tuple[dict[str, int], int]:
    """Stem document frequencies over the knowledge base's articles (title, tags, body)."""
    df: Counter[str] = Counter()
    documents = 0
    for text in texts:
        documents += 1
        df.update(stems(text))
    return dict(df), documents


def candidate_features(hits: Sequence[Hit], text: str, intent_probs: Mapping[str, float],
                       df: Mapping[str, int], documents: int) -> list[dict[str, float]]:
    """One feature row per hit, in the hits' order."""
    if not hits:
        return []
    query = stems(text)
    weight = {s: _idf(df, documents, s) for s in query}
    total = sum(weight.values()) or 1.0
    best_cosine = max(h.cosine or 0.0 for h in hits)
    best_sentence = max(h.sentence or 0.0 for h in hits)
    best_fused = max(h.fused for h in hits) or 1.0
    rows = []
    for h in hits:
        title = stems(" ".join([h.title, *h.tags]))
        whole = title | stems(h.body)
        title_cover = sum(weight[s] for s in query & title) / total
        rows.append({
            "cosine": h.cosine or 0.0,
            "sentence": h.sentence or 0.0,
            "cosine_gap": (h.cosine or 0.0) - best_cosine,
            "sentence_gap": (h.sentence or 0.0) - best_sentence,
            "vector_rank": 1.0 / h.vector_rank if h.vector_rank else 0.0,
            "text_rank": 1.0 / h.text_rank_position if h.text_rank_position else 0.0,
            "fused": h.fused / best_fused,
            "title_cover": title_cover,
            "body_cover": sum(weight[s] for s in query & whole) / total,
            "title_any": 1.0 if query & title else 0.0,
            "intent_prob": intent_probs.get(h.intent, 0.0),
        })
    for name, gap in (("title_cover", "title_cover_gap"), ("body_cover", "body_cover_gap"),
                      ("intent_prob", "intent_prob_gap")):
        best = max(row[name] for row in rows)
        for row in rows:
            row[gap] = row[name] - best
    return rows


@dataclass(frozen=True)
class Ranked:
    hits: tuple[Hit, ...]  # best first
    scores: tuple[float, ...]  # the reranker's logit per hit, same order

    @property
    def top_probability(self) -> float:
        """Softmax share of the first hit among the candidates."""
        if not self.scores:
            return 0.0
        top = max(self.scores)
        exp = [math.exp(s - top) for s in self.scores]
        return exp[0] / sum(exp)

    @property
    def margin(self) -> float:
        """Logit lead of the first hit over the second."""
        if len(self.scores) < 2:
            return self.scores[0] if self.scores else 0.0
        return self.scores[0] - self.scores[1]


@dataclass(frozen=True)
class Reranker:
    model: StandardizedLogit  # over FEATURES
    df: Mapping[str, int] = field(default_factory=dict)
    documents: int = 0

    def logits(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        return [self.model.logit(row) for row in rows]

    def rerank(self, hits: Sequence[Hit], text: str,
               intent_probs: Mapping[str, float]) -> Ranked:
        rows = candidate_features(hits, text, intent_probs, self.df, self.documents)
        scores = self.logits(rows)
        # Stable: equal scores keep retrieval's order.
        order = sorted(range(len(hits)), key=lambda i: -scores[i])
        return Ranked(tuple(hits[i] for i in order), tuple(scores[i] for i in order))

    def to_json(self) -> dict[str, object]:
        return {**self.model.to_json(), "documents": self.documents,
                "df": dict(sorted(self.df.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Reranker:
        return cls(StandardizedLogit.from_json(data, FEATURES, "reranker"),
                   dict(data["df"]), int(data["documents"]))  # type: ignore[call-overload]


def fit_reranker(groups: Sequence[tuple[Sequence[Hit], str, Mapping[str, float],
                                        frozenset[str]]],
                 df: Mapping[str, int], documents: int, *, c: float = 1.0) -> Reranker:
    """Fit on (hits, message text, intent probabilities, labelled kb ids) per message.
    Messages none of whose candidates is labelled teach nothing about the order and are
    left out."""
    rows: list[dict[str, float]] = []
    y: list[int] = []
    for hits, text, probs, labelled in groups:
        if not any(h.kb_id in labelled for h in hits):
            continue
        for h, row in zip(hits, candidate_features(hits, text, probs, df, documents),
                          strict=True):
            rows.append(row)
            y.append(int(h.kb_id in labelled))
    return Reranker(fit_logit(FEATURES, rows, y, c=c), dict(df), documents)


def save_reranker(reranker: Reranker, path: Path = RERANKER_WEIGHTS) -> None:
    write_weights(path, reranker.to_json())


@cache
def load_reranker(path: Path = RERANKER_WEIGHTS) -> Reranker | None:
    return read_weights(path, Reranker.from_json, "reranker")
