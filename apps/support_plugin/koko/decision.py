"""One confidence number per reply and the route it leads to.

Confidence is a calibrated probability that the best article answers the message well
enough to send without a person: a logistic regression over retrieval and classifier
signals (``FEATURES``), fitted on the dev set's labels (see ``evaluation``), then lowered
by the rules. The route follows the tenant's bands, and a few hard limits override them:
a never-auto category always escalates; a draft whose figures are not all in its cited
articles is never auto-sent; cautions and non-Hungarian messages stop at approval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from .classifier import WEIGHTS_DIR
from .reranker import Ranked
from .retrieval import Hit
from .standardized_logit import StandardizedLogit
from .standardized_logit import fit as fit_logit
from .weights_file import read_weights, write_weights

CONFIDENCE_WEIGHTS = WEIGHTS_DIR / "confidence.json"

FEATURES = (
    "sentence",  # cosine of the best article's best sentence
    # Answerability at sentence level: how far the best article's best sentence is ahead
    # of the best sentence of any other retrieved article. A question one sentence of the
    # KB answers stands out here even when whole articles score alike.
    "sentence_margin",
    "intent_agrees",  # 1 when the classifier's intent is the best article's intent
    "short",  # 1 for messages of at most two content words
    # The reranker's (reranker.py) reading of the candidates: the softmax share of its
    # first article among the retrieved ones, and its logit lead over the second.
    "rerank_prob",
    "rerank_margin",
    # The route classifier's probability that the message needs no person (questions
    # about availability, advice, quotes or topics the KB lacks resemble each other more
    # than they resemble the answerable ones, whatever article they retrieve).
    "answerable",
)

# Multipliers applied to the calibrated number by the rules.
CATEGORY_FACTOR = 0.2
CAUTION_FACTOR = 0.75


class Route(StrEnum):
    AUTO = "auto"
    APPROVAL = "approval"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class Calibrator:
    model: StandardizedLogit  # over FEATURES

    def probability(self, features: Mapping[str, float]) -> float:
        z = self.model.logit(features)
        return 1 / (1 + math.exp(-max(min(z, 40.0), -40.0)))

    def to_json(self) -> dict[str, object]:
        return self.model.to_json()

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Calibrator:
        return cls(StandardizedLogit.from_json(data, FEATURES, "confidence"))


def fit_calibrator(rows: Sequence[Mapping[str, float]], targets: Sequence[int],
                   *, c: float = 1.0) -> Calibrator:
    return Calibrator(fit_logit(FEATURES, rows, targets, c=c))


def save_calibrator(calibrator: Calibrator, path: Path = CONFIDENCE_WEIGHTS) -> None:
    write_weights(path, calibrator.to_json())


@cache
def load_calibrator(path: Path = CONFIDENCE_WEIGHTS) -> Calibrator | None:
    # Without a calibrator (none yet, or weights from an older feature list) every reply
    # is capped at approval (safe), and koko_train can still run to refit them.
    return read_weights(path, Calibrator.from_json, "confidence")


def features(hits: Sequence[Hit], intent: str | None, intent_prob: float,
             content_word_count: int, ranked: Ranked | None = None,
             answerable: float = 0.0) -> dict[str, float]:
    """Calibrator features; `hits` in the order the reply uses (reranked when `ranked`)."""
    by_vector = sorted((h for h in hits if h.vector_rank is not None),
                       key=lambda h: h.vector_rank or 0)
    scores = [(h.cosine or 0.0) + (h.sentence or h.cosine or 0.0) for h in by_vector]
    top = hits[0] if hits else None
    fused = [h.fused for h in hits]
    return {
        "cosine": (top.cosine or 0.0) if top else 0.0,
        "sentence": (top.sentence or 0.0) if top else 0.0,
        "margin": scores[0] - scores[1] if len(scores) > 1 else (scores[0] if scores else 0.0),
        "fused_margin": (fused[0] - fused[1]) / fused[0] if len(fused) > 1 and fused[0] else 1.0,
        "text_match": 1.0 if top is not None and top.text_rank is not None else 0.0,
        "agree_top": 1.0 if top is not None and by_vector and by_vector[0].kb_id == top.kb_id
        else 0.0,
        "text_agrees": 1.0 if top is not None and top.text_rank_position == 1 else 0.0,
        "intent_prob": intent_prob,
        "intent_agrees": 1.0 if top is not None and intent == top.intent else 0.0,
        "short": 1.0 if content_word_count <= 2 else 0.0,
        "sentence_margin": (top.sentence or 0.0) - max(
            ((h.sentence or 0.0) for h in hits[1:]), default=0.0) if top is not None else 0.0,
        "rerank_prob": ranked.top_probability if ranked is not None else 0.0,
        "rerank_margin": ranked.margin if ranked is not None else 0.0,
        "answerable": answerable,
    }


def band(confidence: float, auto_threshold: float, approval_threshold: float) -> Route:
    if confidence >= auto_threshold:
        return Route.AUTO
    if confidence >= approval_threshold:
        return Route.APPROVAL
    return Route.ESCALATE


def cap(route: Route, ceiling: Route) -> Route:
    """The more careful of the two routes (auto < approval < escalate)."""
    order = (Route.AUTO, Route.APPROVAL, Route.ESCALATE)
    return max(route, ceiling, key=order.index)
