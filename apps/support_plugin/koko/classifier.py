"""Intent classifier on the message embedding: multinomial logistic regression.

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

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
INTENT_WEIGHTS = WEIGHTS_DIR / "intent_classifier.json"
INTENTS = ("berles", "szerviz", "ertekesites", "general")


@dataclass(frozen=True)
class IntentModel:
    classes: tuple[str, ...]
    coef: npt.NDArray[np.float64]  # (classes, dimension)
    intercept: npt.NDArray[np.float64]  # (classes,)
    embedding_model: str

    def probabilities(self, vector: npt.ArrayLike) -> dict[str, float]:
        logits = self.coef @ np.asarray(vector, dtype=np.float64) + self.intercept
        logits -= logits.max()
        exp = np.exp(logits)
        probs = exp / exp.sum()
        return {c: float(p) for c, p in zip(self.classes, probs, strict=True)}

    def predict(self, vector: npt.ArrayLike) -> tuple[str, float]:
        probs = self.probabilities(vector)
        intent = max(probs, key=probs.__getitem__)
        return intent, probs[intent]

    def to_json(self) -> dict[str, object]:
        return {"classes": list(self.classes), "coef": self.coef.round(6).tolist(),
                "intercept": self.intercept.round(6).tolist(),
                "embedding_model": self.embedding_model}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IntentModel:
        return cls(tuple(data["classes"]),  # type: ignore[arg-type]
                   np.asarray(data["coef"], dtype=np.float64),
                   np.asarray(data["intercept"], dtype=np.float64),
                   str(data["embedding_model"]))


def train(vectors: Sequence[npt.ArrayLike], intents: Sequence[str], embedding_model: str,
          *, c: float = 4.0, sample_weight: Sequence[float] | None = None) -> IntentModel:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
    model.fit(np.asarray(vectors, dtype=np.float64), list(intents),
              sample_weight=None if sample_weight is None else np.asarray(sample_weight))
    return IntentModel(tuple(str(c) for c in model.classes_), model.coef_.copy(),
                       model.intercept_.copy(), embedding_model)


def save(model: IntentModel, path: Path = INTENT_WEIGHTS) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n")


@cache
def load(path: Path = INTENT_WEIGHTS) -> IntentModel | None:
    """The shipped model, or None before `manage.py koko_train` has written one."""
    if not path.exists():
        return None
    return IntentModel.from_json(json.loads(path.read_text()))
