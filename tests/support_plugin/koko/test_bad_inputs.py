"""Inputs with nothing (or too much) to answer: a clear route, never auto, never an error."""

from __future__ import annotations

from dataclasses import replace

import pytest

from apps.support_plugin.koko.brain import Brain
from apps.support_plugin.koko.decision import Route
from apps.support_plugin.koko.input_guard import InputKind, Language, inspect

from .test_decision import Always

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("text", "attachments", "reason"), [
    ("", False, "input:empty"),
    (None, False, "input:empty"),
    ("   \n\t ", False, "input:empty"),
    ("😀🙏👍", False, "input:no_text"),
    ("?!", False, "input:no_text"),
    ("", True, "input:attachment_only"),
])
def test_nothing_to_answer_escalates(brain: Brain, text: str | None, attachments: bool,
                                     reason: str) -> None:
    decision = replace(brain, calibrator=Always(0.99)).decide(text, has_attachments=attachments)
    assert decision.route is Route.ESCALATE
    assert decision.reasons == (reason,)
    assert decision.draft is None


def test_a_20000_character_message_is_cut_and_goes_to_a_person(brain: Brain) -> None:
    text = "Mennyi a kaució egy fúrókalapácsnál? " * 560  # ~20 000 characters
    assert len(text) >= 20_000

    decision = replace(brain, calibrator=Always(0.99)).decide(text)

    assert decision.input.kind is InputKind.TOO_LONG
    assert len(decision.input.text) == 2000
    assert decision.route is Route.ESCALATE
    assert "input:too_long" in decision.reasons


@pytest.mark.parametrize(("text", "language"), [
    ("Hello, I'd like to bérelni egy betonkeverőt a hétvégére, how much?", Language.MIXED),
    ("How much is the deposit for a rental?", Language.ENGLISH),
])
def test_non_hungarian_messages_wait_for_approval(brain: Brain, text: str,
                                                  language: Language) -> None:
    decision = replace(brain, calibrator=Always(0.99)).decide(text)
    assert decision.input.language is language
    assert decision.route is Route.APPROVAL
    assert f"language:{language.value}" in decision.reasons


def test_hungarian_is_not_mistaken_for_english() -> None:
    assert inspect("Győrben is van szerviz? Aggregátort is javítanak ott?").language \
        is Language.HUNGARIAN
    assert inspect("mennyi a kaucio").language is Language.HUNGARIAN


@pytest.mark.parametrize("text", ["Mennyi a\x00 kaució?", "Mennyi a kaució?\ud800"])
def test_a_nul_byte_or_lone_surrogate_is_judged_as_the_clean_text(brain: Brain,
                                                                   text: str) -> None:
    # PostgreSQL text cannot hold NUL; a lone surrogate cannot be encoded as UTF-8.
    sure = replace(brain, calibrator=Always(0.99))
    decision, clean = sure.decide(text), sure.decide("Mennyi a kaució?")
    assert (decision.route, decision.kb_ids) == (clean.route, clean.kb_ids)


# A 20 000-character word with no spaces, digits only, an emoji wall around a question,
# a message switching language mid-sentence.
@pytest.mark.parametrize("text", [
    "a" * 20_000,
    "1234567890" * 2_000,
    "😀" * 5_000 + " mennyi a kaució? " + "🙏" * 5_000,
    "Szia! Can I rent egy láncfűrészt for the weekend? Mennyi a deposit? Thanks, köszi!",
])
def test_hostile_text_never_raises_and_never_goes_out_unreviewed(brain: Brain,
                                                                  text: str) -> None:
    decision = replace(brain, calibrator=Always(0.99)).decide(text)
    assert decision.route in (Route.APPROVAL, Route.ESCALATE)
    assert decision.reasons  # the route says why


def test_invisible_and_control_characters_are_removed_before_judging() -> None:
    checked = inspect("Mennyi\u200b a\u202e kau\x00ció?\x07\ud800\n")
    assert checked.text == "Mennyi a kaució?"
    assert checked.kind is InputKind.TEXT
    assert inspect("\u200b\u200d\x00").kind is InputKind.EMPTY


@pytest.mark.parametrize(("text", "attachments", "route", "reason"), [
    ("", False, Route.ESCALATE, "input:empty"),
    ("👍👍👍", False, Route.ESCALATE, "input:no_text"),
    ("", True, Route.ESCALATE, "input:attachment_only"),
    ("Mennyi a kaució? " * 1200, False, Route.ESCALATE, "input:too_long"),
    ("Hello, I'd like to bérelni egy betonkeverőt a hétvégére, how much?", False,
     Route.APPROVAL, "language:mixed"),
])
def test_the_brief_s_bad_inputs_with_gemini_configured(brain: Brain, text: str,
                                                        attachments: bool, route: Route,
                                                        reason: str) -> None:
    """The same routes when Gemini is on and agrees with everything: Gemini cannot lift
    a bad input to auto."""
    import httpx2

    from apps.support_plugin.koko.generation import GeminiGenerator

    from .test_gemini_generation import Recorder

    recorder = Recorder()
    client = httpx2.Client(transport=httpx2.MockTransport(recorder))
    gemini = replace(brain, calibrator=Always(0.99),
                     generator=GeminiGenerator("test-key", http_client=client))
    decision = gemini.decide(text, has_attachments=attachments)
    assert decision.route is route
    assert reason in decision.reasons
    if route is Route.ESCALATE and reason != "input:too_long":
        assert recorder.requests == []  # nothing to ask about
