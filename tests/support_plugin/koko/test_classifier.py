"""The intent classifier's character n-gram block: typo- and accent-tolerant features that
survive the JSON weights file (numpy at run time, no scikit-learn)."""

from __future__ import annotations

import numpy as np
import pytest

from apps.support_plugin.koko.classifier import (
    IntentModel,
    char_ngrams,
    ngram_vocabulary,
    train,
)


def test_ngrams_are_of_folded_padded_words() -> None:
    grams = char_ngrams("Kaució?")
    assert grams == char_ngrams("kaucio")  # accents, case and punctuation do not matter
    assert {" k", "ka", "kauc", "cio ", " kauc"} <= set(grams)
    assert "o?" not in grams and " kaucio " not in grams  # 2-5 letters, words only
    assert char_ngrams("a") == {" a": 1, "a ": 1, " a ": 1}  # a short word counted once
    assert char_ngrams("") == {}


def test_the_vocabulary_keeps_the_most_common_ngrams_with_smoothed_idf() -> None:
    vocabulary, idf = ngram_vocabulary(["kaucio", "kaucio berles", "berles"], size=4)
    assert len(vocabulary) == 4 and list(vocabulary) == sorted(vocabulary)
    # every kept n-gram is in two of the three texts: ln(4 / 3) + 1
    assert idf == pytest.approx([np.log(4 / 3) + 1] * 4)


TEXTS = ["mennyi a kaució", "kaucio osszege", "kauciot kell fizetni",
         "javitas mennyi ido", "szerviz javítás", "javitasi dij"]
INTENTS = ["berles"] * 3 + ["szerviz"] * 3


def test_a_typo_still_finds_the_intent_and_the_model_survives_json() -> None:
    vectors = [np.zeros(4)] * len(TEXTS)  # no meaning in the vectors: only the text decides
    model = train(vectors, TEXTS, INTENTS, "test", ngram_features=200)
    assert 0 < len(model.ngrams) <= 200 and len(model.idf) == len(model.ngrams)
    # "kaucjo" and "jvaitas" are no known 5-letter stem; their n-grams are
    probs = model.probabilities(np.zeros(4), "kaucjo?")
    assert max(probs, key=probs.__getitem__) == "berles"
    assert model.predict(np.zeros(4), "jvaitas")[0] == "szerviz"
    again = IntentModel.from_json(model.to_json())
    assert again.ngrams == model.ngrams
    assert again.probabilities(np.zeros(4), "kaucjo?") == pytest.approx(probs, abs=1e-4)


def test_weights_without_ngrams_still_load() -> None:
    model = train([np.zeros(4)] * len(TEXTS), TEXTS, INTENTS, "test")
    data = model.to_json()
    del data["ngrams"], data["idf"]  # an older weights file
    old = IntentModel.from_json(data)
    assert old.ngrams == () and old.probabilities(np.zeros(4), "kaucio")["berles"] > 0.5
