"""Intent classifier: multinomial logistic regression on the message embedding plus a
bag of folded word stems (the first 5 letters, which absorbs most Hungarian suffixes)
and TF-IDF weighted character n-grams of the folded words, then nudged by the intents
of the best retrieved articles.

The embedding carries meaning, the stems carry the domain words the small model blurs
("kaució", "munkalap"), the character n-grams carry the same words through typos,
missing accents and suffixes the 5-letter stem cuts differently ("lancelezes",
"láncélezését"), and the retrieved articles carry what the knowledge base thinks the
question is about. Together they beat each alone under cross-validation (docs/koko.md).

Trained with scikit-learn (``train``), stored as plain JSON weights (no pickle: a weights
file is data, not code) and applied with numpy at run time, so answering a message does
not import scikit-learn.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .normalize import content_words, words
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
# Character n-grams of each folded word padded with spaces (" kaucio " -> " k", "ka",
# ..., "cio "), as scikit-learn's char_wb analyser does.
NGRAM_MIN, NGRAM_MAX = 2, 5
# Only the n-grams in most training texts are kept: this bounds the weights file
# (4 classes x this many coefficients) and drops n-grams seen once, which only memorise.
NGRAM_FEATURES = 3000
# The n-gram block is L2-normalised and scaled like the unit-length embedding beside it.
NGRAM_VALUE = 1.0

def _words(value: object) -> list[object]:
    """A stored vocabulary (older weight files have none)."""
    return list(value) if isinstance(value, list | tuple) else []


def stems(text: str) -> set[str]:
    return {w[:STEM_LEN] for w in content_words(text) if len(w) > 2}


def char_ngrams(text: str) -> Counter[str]:
    """Counts of the character n-grams of the folded words (stop words included: "hol",
    "mikor" tell a question's kind)."""
    counts: Counter[str] = Counter()
    for word in words(text):
        padded = f" {word} "
        for n in range(NGRAM_MIN, NGRAM_MAX + 1):
            if len(padded) <= n:
                counts[padded] += 1
                break
            counts.update(padded[i:i + n] for i in range(len(padded) - n + 1))
    return counts


def ngram_vocabulary(texts: Sequence[str], size: int = NGRAM_FEATURES,
                     ) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The `size` n-grams found in most texts and their smoothed IDF
    (ln((1 + documents) / (1 + df)) + 1, as scikit-learn's TfidfVectorizer)."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(char_ngrams(text).keys())
    kept = sorted(df, key=lambda g: (-df[g], g))[:size]
    vocabulary = tuple(sorted(kept))
    return vocabulary, tuple(math.log((1 + len(texts)) / (1 + df[g])) + 1 for g in vocabulary)


def ngram_block(text: str, index: dict[str, int],
                idf: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Sublinear TF x IDF over the vocabulary, L2-normalised, times NGRAM_VALUE."""
    block = np.zeros(len(index))
    for gram, count in char_ngrams(text).items():
        position = index.get(gram)
        if position is not None:
            block[position] = (1 + math.log(count)) * idf[position]
    norm = float(np.linalg.norm(block))
    return block * (NGRAM_VALUE / norm) if norm else block


@dataclass(frozen=True)
class IntentModel:
    classes: tuple[str, ...]
    coef: npt.NDArray[np.float64]  # (classes, dimension + len(vocabulary))
    intercept: npt.NDArray[np.float64]  # (classes,)
    embedding_model: str
    vocabulary: tuple[str, ...] = ()
    ngrams: tuple[str, ...] = ()  # character n-gram vocabulary (empty: no n-gram block)
    idf: tuple[float, ...] = ()  # one per n-gram

    def featurize(self, vector: npt.ArrayLike, text: str) -> npt.NDArray[np.float64]:
        return featurize(vector, text, _index(self.vocabulary), _index(self.ngrams),
                         np.asarray(self.idf, dtype=np.float64))

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
                "embedding_model": self.embedding_model, "vocabulary": list(self.vocabulary),
                "ngrams": list(self.ngrams), "idf": [round(v, 5) for v in self.idf]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> IntentModel:
        return cls(tuple(data["classes"]),  # type: ignore[arg-type]
                   np.asarray(data["coef"], dtype=np.float64),
                   np.asarray(data["intercept"], dtype=np.float64),
                   str(data["embedding_model"]),
                   tuple(str(word) for word in _words(data.get("vocabulary"))),
                   tuple(str(gram) for gram in _words(data.get("ngrams"))),
                   tuple(float(v) for v in _words(data.get("idf"))))  # type: ignore[arg-type]


@lru_cache(maxsize=16)
def _index(vocabulary: tuple[str, ...]) -> dict[str, int]:
    # Cached per vocabulary: building the 3 000-entry n-gram index per message would
    # cost more than the classifier itself.
    return {s: i for i, s in enumerate(vocabulary)}


def featurize(vector: npt.ArrayLike, text: str, index: dict[str, int],
              ngram_index: dict[str, int] | None = None,
              idf: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.float64]:
    bag = np.zeros(len(index))
    for stem in stems(text):
        position = index.get(stem)
        if position is not None:
            bag[position] = STEM_VALUE
    parts = [np.asarray(vector, dtype=np.float64), bag]
    if ngram_index and idf is not None:
        parts.append(ngram_block(text, ngram_index, idf))
    return np.concatenate(parts)


def train(vectors: Sequence[npt.ArrayLike], texts: Sequence[str], intents: Sequence[str],
          embedding_model: str, *, c: float = 4.0,
          sample_weight: Sequence[float] | None = None,
          ngram_features: int = 0) -> IntentModel:
    """`ngram_features` > 0 adds the character n-gram block with that many n-grams."""
    from sklearn.linear_model import LogisticRegression

    vocabulary = tuple(sorted({s for text in texts for s in stems(text)}))
    index = {s: i for i, s in enumerate(vocabulary)}
    ngrams, idf = ngram_vocabulary(texts, ngram_features) if ngram_features else ((), ())
    ngram_index, idf_array = _index(ngrams), np.asarray(idf, dtype=np.float64)
    x = np.asarray([featurize(v, t, index, ngram_index, idf_array)
                    for v, t in zip(vectors, texts, strict=True)])
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
                       embedding_model, vocabulary, ngrams, idf)


def save(model: IntentModel, path: Path = INTENT_WEIGHTS) -> None:
    write_weights(path, model.to_json(), compact=True)


@cache
def load(path: Path = INTENT_WEIGHTS) -> IntentModel | None:
    """The shipped model, or None before `manage.py koko_train` has written one."""
    if not path.exists():
        return None
    return IntentModel.from_json(json.loads(path.read_text()))
