"""Intent classifier: multinomial logistic regression on the message embedding plus a
bag of folded word stems (the first 5 letters, which absorbs most Hungarian suffixes),
then nudged by the intents of the best retrieved articles.

The embedding carries meaning, the stems carry the domain words the small model blurs
("kaució", "munkalap"), and the retrieved articles carry what the knowledge base thinks
the question is about. Together they beat each alone under cross-validation (docs/koko.md).

Trained with scikit-learn (``train``), stored as plain JSON weights (no pickle: a weights
file is data, not code) and applied with numpy at run time, so answering a message does
not import scikit-learn.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .normalize import content_words
from .weights_file import write_weights

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
INTENT_WEIGHTS = WEIGHTS_DIR / "intent_classifier.json"
INTENTS = ("berles", "szerviz", "ertekesites", "general")
# The same model shape also learns whether a message can be answered unreviewed
# (weights/route_classifier.json): classes "auto" and "person".
ROUTE_CLASSIFIER_WEIGHTS = WEIGHTS_DIR / "route_classifier.json"
ROUTE_AUTO = "auto"
ROUTE_PERSON = "person"
STEM_LEN = 5
# A stem present counts this much next to the unit-length embedding.
STEM_VALUE = 0.3
# Votes of the 1st, 2nd, 3rd retrieved article's intent added to the probabilities.
HIT_VOTE = 0.3

def _words(value: object) -> list[object]:
    """A stored vocabulary (older weight files have none)."""
    return list(value) if isinstance(value, list | tuple) else []


def stems(text: str) -> set[str]:
    return {w[:STEM_LEN] for w in content_words(text) if len(w) > 2}


@dataclass(frozen=True)
class IntentModel:
    classes: tuple[str, ...]
    coef: npt.NDArray[np.float64]  # (classes, dimension + len(vocabulary))
    intercept: npt.NDArray[np.float64]  # (classes,)
    embedding_model: str
    vocabulary: tuple[str, ...] = ()

    def featurize(self, vector: npt.ArrayLike, text: str) -> npt.NDArray[np.float64]:
        return featurize(vector, text, {s: i for i, s in enumerate(self.vocabulary)})

    def probabilities(self, vector: npt.ArrayLike, text: str = "") -> dict[str, float]:
        logits = self.coef @ self.featurize(vector, text) + self.intercept
        logits -= logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        return {c: float(p) for c, p in zip(self.classes, probs, strict=True)}

    def predict(self, vector: npt.ArrayLike, text: str = "",
                hit_intents: Sequence[str] = ()) -> tuple[str, float]:
        probs = self.probabilities(vector, text)
        for rank, intent in enumerate(hit_intents[:3]):
            if intent in probs:
                probs[intent] += HIT_VOTE / (rank + 1)
        total = sum(probs.values())
        intent = max(probs, key=probs.__getitem__)
        return intent, probs[intent] / total

    def to_json(self) -> dict[str, object]:
        return {"classes": list(self.classes), "coef": self.coef.round(5).tolist(),
                "intercept": self.intercept.round(5).tolist(),
                "embedding_model": self.embedding_model, "vocabulary": list(self.vocabulary)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IntentModel:
        return cls(tuple(data["classes"]),  # type: ignore[arg-type]
                   np.asarray(data["coef"], dtype=np.float64),
                   np.asarray(data["intercept"], dtype=np.float64),
                   str(data["embedding_model"]),
                   tuple(str(word) for word in _words(data.get("vocabulary"))))


def featurize(vector: npt.ArrayLike, text: str,
              index: dict[str, int]) -> npt.NDArray[np.float64]:
    bag = np.zeros(len(index))
    for stem in stems(text):
        position = index.get(stem)
        if position is not None:
            bag[position] = STEM_VALUE
    return np.concatenate([np.asarray(vector, dtype=np.float64), bag])


def train(vectors: Sequence[npt.ArrayLike], texts: Sequence[str], intents: Sequence[str],
          embedding_model: str, *, c: float = 4.0,
          sample_weight: Sequence[float] | None = None) -> IntentModel:
    from sklearn.linear_model import LogisticRegression

    vocabulary = tuple(sorted({s for text in texts for s in stems(text)}))
    index = {s: i for i, s in enumerate(vocabulary)}
    x = np.asarray([featurize(v, t, index) for v, t in zip(vectors, texts, strict=True)])
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(x, list(intents),
              sample_weight=None if sample_weight is None else np.asarray(sample_weight))
    coef, intercept = model.coef_.copy(), model.intercept_.copy()
    if len(model.classes_) == 2:
        # Binary: scikit-learn keeps one row (the second class's logit); a softmax over
        # [-z/2, z/2] gives the same sigmoid, so the two-class model has the same shape.
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.concatenate(
            [-intercept / 2, intercept / 2])
    return IntentModel(tuple(str(c) for c in model.classes_), coef, intercept,
                       embedding_model, vocabulary)


def save(model: IntentModel, path: Path = INTENT_WEIGHTS) -> None:
    write_weights(path, model.to_json(), compact=True)


@cache
def load(path: Path = INTENT_WEIGHTS) -> IntentModel | None:
    """The shipped model, or None before `manage.py koko_train` has written one."""
    if not path.exists():
        return None
    return IntentModel.from_json(json.loads(path.read_text()))
