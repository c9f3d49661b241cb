"""Training and cross-validated evaluation of Kokó's brain on the labelled dev set.

The embedding and retrieval of each message do not depend on the trained weights, so
they are computed once (``observe_all``); each fold then trains the intent classifier and
the confidence calibrator on the other folds and judges its own messages with them.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .brain import Brain, Decision, Observation, read
from .classifier import INTENTS, NGRAM_FEATURES, ROUTE_AUTO, ROUTE_PERSON, IntentModel
from .classifier import train as train_intents
from .decision import Calibrator, Route, fit_calibrator
from .models import KnowledgeArticle
from .reranker import Reranker, document_frequencies, fit_reranker

DEVSET = Path(__file__).resolve().parent / "devset" / "messages.jsonl"
# The KB articles join the classifier's training data with this weight (their intent is
# labelled; they are documents, not questions, so they count less than a message).
ARTICLE_WEIGHT = 0.5
# Regularisation of the confidence calibrator (scikit-learn's C). Strong: with the
# reranker's and the route classifier's features a freer fit (C 1 / 0.3 / 0.1) grew
# overconfident on a few wrong-article messages and auto-sent 3 / 3 / 2 of them under
# cross-validation; at 0.03 none reaches the 0.80 band (docs/koko.md, Evaluation).
CALIBRATOR_C = 0.03


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    intent: str
    category: str | None
    expected_route: str
    kb_ids: tuple[str, ...]


def read_devset(path: Path = DEVSET) -> list[Example]:
    examples = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                raw = json.loads(line)
                examples.append(Example(raw["id"], raw["text"], raw["intent"], raw["category"],
                                        raw["expected_route"], tuple(raw["kb_ids"])))
    return examples


def observe_all(brain: Brain, examples: Sequence[Example]) -> list[Observation]:
    return [brain.observe(e.text) for e in examples]


def article_training_data(model_name: str) -> tuple[list[np.ndarray], list[str], list[str]]:
    """Vectors, texts and intents of the knowledge base articles."""
    rows = list(KnowledgeArticle.objects.filter(is_active=True, embedding_model=model_name))
    return ([np.asarray(a.embedding, dtype=np.float32) for a in rows],
            [" ".join([a.title, *a.tags, a.body]) for a in rows], [a.intent for a in rows])


def calibration_target(example: Example, top: str | None) -> int:
    """1 when sending the best (reranked) article's draft unreviewed would be right."""
    return int(example.expected_route == Route.AUTO and top in example.kb_ids)


def _folds(n: int, k: int, seed: int) -> list[list[int]]:
    order = list(range(n))
    random.Random(seed).shuffle(order)
    return [order[i::k] for i in range(k)]


@dataclass(frozen=True)
class Models:
    intent_model: IntentModel
    reranker: Reranker
    route_model: IntentModel
    calibrator: Calibrator


def train_models(examples: Sequence[Example], observations: Sequence[Observation],
                 model_name: str, *, inner_folds: int = 5, seed: int = 7) -> Models:
    """Classifier and reranker on everything given; calibrator on out-of-fold outputs of
    both, so it learns how far to trust them on messages they have not seen.

    Inner folds: each inner classifier gives out-of-fold intent probabilities (the
    reranker's intent feature is learned from those, as it meets unseen messages at run
    time); then each inner fold's reranker, trained on the other inner folds, reranks its
    messages for the calibrator's rows."""
    usable = [i for i, o in enumerate(observations) if o.vector is not None]
    art_vectors, art_texts, art_intents = article_training_data(model_name)
    df, documents = document_frequencies(art_texts)

    def fit(indices: Sequence[int]) -> IntentModel:
        # `usable` holds only observations that have a vector.
        vectors = [v for i in indices if (v := observations[i].vector) is not None] + art_vectors
        texts = [observations[i].input.text for i in indices] + art_texts
        intents = [examples[i].intent for i in indices] + art_intents
        weights = [1.0] * len(indices) + [ARTICLE_WEIGHT] * len(art_vectors)
        return train_intents(vectors, texts, intents, model_name, sample_weight=weights,
                             ngram_features=NGRAM_FEATURES)

    def vector(i: int) -> np.ndarray:
        v = observations[i].vector
        assert v is not None  # indices come from `usable`
        return v

    def fit_route(indices: Sequence[int]) -> IntentModel:
        # "Could a reply be sent unreviewed?" learned from the labelled routes: questions
        # about availability, advice, quotes or topics the KB lacks resemble each other
        # more than they resemble the answerable ones, whatever article they retrieve.
        return train_intents([vector(i) for i in indices],
                             [observations[i].input.text for i in indices],
                             [ROUTE_AUTO if examples[i].expected_route == Route.AUTO
                              else ROUTE_PERSON for i in indices], model_name)

    inner: list[tuple[set[int], IntentModel, IntentModel]] = []
    probs: dict[int, dict[str, float]] = {}
    for fold in _folds(len(usable), inner_folds, seed):
        held_out = {usable[i] for i in fold}
        rest = [i for i in usable if i not in held_out]
        model = fit(rest)
        inner.append((held_out, model, fit_route(rest)))
        for i in held_out:
            probs[i] = model.probabilities(vector(i), observations[i].input.text)

    def rerank_fit(indices: Sequence[int]) -> Reranker:
        # Only messages one article answers outright: the article a colleague would
        # start from for an approval message is a weaker label.
        return fit_reranker([(observations[i].hits, observations[i].input.text, probs[i],
                              frozenset(examples[i].kb_ids))
                             for i in indices
                             if examples[i].expected_route == Route.AUTO
                             and observations[i].hits], df, documents)

    rows: list[dict[str, float]] = []
    targets: list[int] = []
    for held_out, model, route_model in inner:
        reranker = rerank_fit([i for i in usable if i not in held_out])
        for i in sorted(held_out):
            reading = read(model, reranker, vector(i), observations[i].input.text,
                           observations[i].hits, route_model)
            rows.append(reading.features)
            targets.append(calibration_target(
                examples[i], reading.hits[0].kb_id if reading.hits else None))
    return Models(fit(usable), rerank_fit(usable), fit_route(usable),
                  fit_calibrator(rows, targets, c=CALIBRATOR_C))


@dataclass
class Report:
    total: int = 0
    intent_correct: int = 0
    confusion: dict[str, Counter[str]] = field(default_factory=dict)
    routes: Counter[str] = field(default_factory=Counter)
    wrong_autos: list[str] = field(default_factory=list)
    needs_human: int = 0
    needs_human_handled: int = 0
    never_auto: int = 0
    never_auto_escalated: int = 0
    auto_labelled: int = 0
    decisions: dict[str, Decision] = field(default_factory=dict, repr=False)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.total if self.total else 0.0

    @property
    def auto_rate(self) -> float:
        return self.routes[Route.AUTO] / self.total if self.total else 0.0

    @property
    def human_recall(self) -> float:
        return self.needs_human_handled / self.needs_human if self.needs_human else 1.0

    @property
    def escalation_recall(self) -> float:
        return self.never_auto_escalated / self.never_auto if self.never_auto else 1.0

    def add(self, example: Example, decision: Decision) -> None:
        self.total += 1
        self.decisions[example.id] = decision
        self.intent_correct += decision.intent == example.intent
        self.confusion.setdefault(example.intent, Counter())[decision.intent] += 1
        self.routes[decision.route] += 1
        self.auto_labelled += example.expected_route == Route.AUTO
        if decision.route is Route.AUTO and (example.expected_route != Route.AUTO
                                             or not set(decision.kb_ids) & set(example.kb_ids)):
            self.wrong_autos.append(example.id)
        if example.expected_route != Route.AUTO:
            self.needs_human += 1
            self.needs_human_handled += decision.route is not Route.AUTO
        if example.category is not None:
            self.never_auto += 1
            self.never_auto_escalated += decision.route is Route.ESCALATE

    def confusion_table(self) -> str:
        head = "label \\ predicted".ljust(18) + "".join(i.rjust(12) for i in INTENTS)
        lines = [head]
        for label in INTENTS:
            row = self.confusion.get(label, Counter())
            lines.append(label.ljust(18) + "".join(str(row[p]).rjust(12) for p in INTENTS))
        return "\n".join(lines)

    def summary(self) -> str:
        return "\n".join([
            f"messages: {self.total}",
            f"intent accuracy: {self.intent_accuracy:.1%}",
            f"routes: auto {self.routes[Route.AUTO]}, approval {self.routes[Route.APPROVAL]}, "
            f"escalate {self.routes[Route.ESCALATE]}",
            f"auto-reply rate: {self.auto_rate:.1%} of all messages "
            f"({self.routes[Route.AUTO]} of {self.auto_labelled} labelled auto)",
            f"wrong auto-replies: {len(self.wrong_autos)} {self.wrong_autos}",
            f"needs a person -> approval or escalation: {self.needs_human_handled}/"
            f"{self.needs_human} ({self.human_recall:.1%})",
            f"never-auto categories escalated: {self.never_auto_escalated}/{self.never_auto} "
            f"({self.escalation_recall:.1%})",
            "confusion matrix (rows: label, columns: predicted):",
            self.confusion_table(),
        ])


def cross_validate(brain: Brain, examples: Sequence[Example],
                   observations: Sequence[Observation] | None = None, *, folds: int = 5,
                   seed: int = 13) -> Report:
    observations = list(observations or observe_all(brain, examples))
    report = Report()
    decided: dict[int, Decision] = {}
    for fold in _folds(len(examples), folds, seed):
        held_out = set(fold)
        train = [i for i in range(len(examples)) if i not in held_out]
        models = train_models([examples[i] for i in train],
                              [observations[i] for i in train], brain.provider.name)
        fold_brain = replace(brain, intent_model=models.intent_model,
                             reranker=models.reranker, route_model=models.route_model,
                             calibrator=models.calibrator)
        for i in fold:
            decided[i] = fold_brain.judge(observations[i])
    for i, example in enumerate(examples):
        report.add(example, decided[i])
    return report


def threshold_sweep(brain: Brain, examples: Sequence[Example],
                    observations: Sequence[Observation], *, folds: int = 5,
                    thresholds: Sequence[float] = (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95),
                    ) -> list[tuple[float, int, int]]:
    """(auto threshold, auto replies, wrong auto replies) under cross-validation: how the
    auto band's lower edge trades coverage for mistakes."""
    from .config import KokoSettings

    open_brain = replace(brain, settings=KokoSettings(0.0, 0.0, brain.settings.embedding_provider,
                                                      "", brain.settings.top_k))
    report = cross_validate(open_brain, examples, observations, folds=folds)
    rows = []
    for threshold in thresholds:
        autos = wrong = 0
        for example in examples:
            decision = report.decisions[example.id]
            if decision.route is Route.AUTO and decision.confidence >= threshold:
                autos += 1
                wrong += (example.expected_route != Route.AUTO
                          or not set(decision.kb_ids) & set(example.kb_ids))
        rows.append((threshold, autos, wrong))
    return rows
