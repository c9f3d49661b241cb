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
