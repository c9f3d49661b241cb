"""The model shape the calibrator and the reranker share: a logistic regression over
named features, each standardised with its training mean and scale.

Fitted with scikit-learn (`fit`), stored as plain JSON and applied in pure Python, so a
decision does not import scikit-learn. A file fitted on another feature list is refused
(ValueError), which `weights_file.read_weights` turns into "no model".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class StandardizedLogit:
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]

    def logit(self, row: Mapping[str, float]) -> float:
        z = self.intercept
        for name, w, m, s in zip(self.features, self.coef, self.mean, self.scale, strict=True):
            z += w * (row[name] - m) / s
        return z

    def to_json(self) -> dict[str, object]:
        return {"features": list(self.features), "coef": [round(c, 6) for c in self.coef],
                "intercept": round(self.intercept, 6), "mean": [round(m, 6) for m in self.mean],
                "scale": [round(s, 6) for s in self.scale]}

    @classmethod
    def from_json(cls, data: Mapping[str, object], features: Sequence[str],
                  what: str) -> StandardizedLogit:
        if list(data["features"]) != list(features):  # type: ignore[call-overload]
            raise ValueError(f"{what} weights were trained on other features")
        return cls(tuple(features), tuple(data["coef"]),  # type: ignore[arg-type]
                   float(data["intercept"]),  # type: ignore[arg-type]
                   tuple(data["mean"]), tuple(data["scale"]))  # type: ignore[arg-type]


def fit(features: Sequence[str], rows: Sequence[Mapping[str, float]], targets: Sequence[int],
        *, c: float = 1.0) -> StandardizedLogit:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x = np.asarray([[row[f] for f in features] for row in rows], dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=c, max_iter=2000)
    model.fit((x - mean) / scale, list(targets))
    return StandardizedLogit(tuple(features), tuple(float(v) for v in model.coef_[0]),
                             float(model.intercept_[0]), tuple(float(v) for v in mean),
                             tuple(float(v) for v in scale))


__all__ = ("StandardizedLogit", "fit")
