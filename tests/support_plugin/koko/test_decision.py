"""Confidence bands, the hard limits on them, and the numbers check."""

from __future__ import annotations

from dataclasses import replace

import pytest

from apps.support_plugin.koko import brain as brain_module
from apps.support_plugin.koko.brain import Brain
from apps.support_plugin.koko.config import KokoSettings, from_mapping
from apps.support_plugin.koko.decision import Calibrator, Route, band, cap
from apps.support_plugin.koko.drafting import Draft
from apps.support_plugin.koko.figures_check import figures, unsupported_figures
from apps.support_plugin.koko.standardized_logit import StandardizedLogit


class Always(Calibrator):
    """A calibrator that is always this sure: isolates the limits from the model."""

    def __init__(self, value: float) -> None:
        super().__init__(StandardizedLogit((), (), 0.0, (), ()))
        object.__setattr__(self, "value", value)

    def probability(self, features: object) -> float:
        return self.value


@pytest.mark.parametrize(("confidence", "route"), [
    (0.95, Route.AUTO), (0.80, Route.AUTO), (0.79, Route.APPROVAL), (0.50, Route.APPROVAL),
    (0.49, Route.ESCALATE), (0.0, Route.ESCALATE),
])
def test_bands(confidence: float, route: Route) -> None:
    assert band(confidence, 0.80, 0.50) is route


def test_cap_keeps_the_more_careful_route() -> None:
    assert cap(Route.AUTO, Route.APPROVAL) is Route.APPROVAL
    assert cap(Route.ESCALATE, Route.APPROVAL) is Route.ESCALATE


def test_thresholds_are_percent_settings() -> None:
    settings = from_mapping({"auto_reply_threshold": 90, "approval_threshold": "40",
                             "embedding_provider": "GEMINI", "retrieval_top_k": 0})
    assert (settings.auto_threshold, settings.approval_threshold) == (0.9, 0.4)
    assert settings.embedding_provider == "gemini"
    assert settings.top_k == 1
    assert from_mapping({}).auto_threshold == 0.8


def test_figures_are_normalised() -> None:
    assert figures("Budapesten 9 000 Ft, 7:00–18:00, 10%-os, 1:50") == {
        "9000", "7:00", "18:00", "10", "1:50"}
    assert unsupported_figures("A díj 9 000 Ft.", ["Budapesten belül 9 000 Ft."]) == set()
    assert unsupported_figures("A díj 8 000 Ft.", ["Budapesten belül 9 000 Ft."]) == {"8000"}


@pytest.mark.django_db
def test_a_confident_answer_goes_out_automatically(brain: Brain) -> None:
    decision = replace(brain, calibrator=Always(0.97)).decide("Mennyi a kaució?")

    assert decision.route is Route.AUTO
    assert decision.kb_ids == ("kb-018",)
    assert decision.draft is not None
    assert decision.draft.text.startswith("Tisztelt Ügyfelünk!")
    assert "Forrás: Kaució" in decision.draft.text
    assert "20 000" in decision.draft.text  # the deposit range, quoted from the article


@pytest.mark.django_db
@pytest.mark.parametrize("text", [
    "Mennyi a kaució? Ha nem adják vissza, ügyvédhez fordulok.",
    "Ellopták a bérelt fúrót, mennyi a kaució?",
    "Hol tart a javításom?",
])
def test_never_auto_category_forces_escalation_whatever_the_confidence(
    brain: Brain, text: str
) -> None:
    decision = replace(brain, calibrator=Always(0.99)).decide(text)
    assert decision.route is Route.ESCALATE
    assert decision.category is not None
    assert decision.confidence < 0.5  # the rules lower the number too


@pytest.mark.django_db
def test_a_draft_with_figures_not_in_the_article_is_never_auto_sent(
    brain: Brain, monkeypatch: pytest.MonkeyPatch
) -> None:
    def invented(question: str, vector: object, sources: list[object]) -> Draft:
        body = "A kaució összege 15 000 Ft, és 3 munkanapon belül visszajár."
        return Draft(text=body, body=body, kb_ids=("kb-018",), titles=("Kaució",))

    monkeypatch.setattr(brain_module, "draft_reply", invented)
    decision = replace(brain, calibrator=Always(0.99)).decide("Mennyi a kaució?")

    assert decision.route is Route.APPROVAL
    assert any(r.startswith("figures:") for r in decision.reasons)
    assert "15000" in next(r for r in decision.reasons if r.startswith("figures:"))


@pytest.mark.django_db
def test_handover_articles_stop_at_approval(brain: Brain) -> None:
    decision = replace(brain, calibrator=Always(0.99)).decide(
        "Hogyan lehet lekérdezni egy munkalap állapotát munkalapszám alapján?")
    assert decision.route is Route.APPROVAL
    assert "handover_article:kb-046" in decision.reasons


@pytest.mark.django_db
def test_low_confidence_escalates_and_middle_waits_for_approval(brain: Brain) -> None:
    assert replace(brain, calibrator=Always(0.2)).decide("Mennyi a kaució?").route \
        is Route.ESCALATE
    assert replace(brain, calibrator=Always(0.6)).decide("Mennyi a kaució?").route \
        is Route.APPROVAL


@pytest.mark.django_db
def test_tenant_thresholds_move_the_bands(brain: Brain) -> None:
    strict = replace(brain, calibrator=Always(0.85),
                     settings=KokoSettings(auto_threshold=0.9, approval_threshold=0.5))
    assert strict.decide("Mennyi a kaució?").route is Route.APPROVAL


def test_sentence_margin_is_the_best_sentence_s_lead_over_the_other_articles() -> None:
    from apps.support_plugin.koko.decision import features
    from apps.support_plugin.koko.retrieval import Hit

    def hit(kb_id: str, sentence: float) -> Hit:
        return Hit(1, kb_id, kb_id, "", "berles", 0.03, 0.8, None, 1, None, sentence)

    assert features([hit("a", 0.91), hit("b", 0.85), hit("c", 0.88)], "berles", 0.9,
                    3)["sentence_margin"] == pytest.approx(0.03)
    assert features([hit("a", 0.9)], "berles", 0.9, 3)["sentence_margin"] == pytest.approx(0.9)
    assert features([], None, 0.0, 0)["sentence_margin"] == 0.0


def test_weights_for_another_feature_list_mean_no_calibrator(tmp_path: object) -> None:
    import json
    from pathlib import Path

    from apps.support_plugin.koko.decision import load_calibrator

    stale = Path(str(tmp_path)) / "confidence.json"
    stale.write_text(json.dumps({"features": ["cosine"], "coef": [1.0], "intercept": 0.0,
                                 "mean": [0.0], "scale": [1.0]}))
    assert load_calibrator(stale) is None  # the brain then caps every reply at approval


@pytest.mark.django_db
def test_nothing_retrieved_means_no_confidence(provider: object) -> None:
    """An empty knowledge base retrieves nothing, so every feature sits at its default,
    where the refitted calibrator extrapolates to near certainty (0.99 before the fix).
    With no article to cite the confidence is zero and the reply escalates."""
    from apps.support_plugin.koko.brain import default_brain
    from apps.support_plugin.koko.models import KnowledgeArticle

    assert not KnowledgeArticle.objects.exists()
    empty = default_brain(KokoSettings())
    assert empty.calibrator is not None  # the real, shipped weights
    decision = empty.decide("Mennyi a kaució?")
    assert decision.hits == ()
    assert decision.confidence == 0.0
    assert decision.route is Route.ESCALATE and "no_article" in decision.reasons
