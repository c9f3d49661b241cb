"""Gemini classification and drafting (``models/{model}:generateContent`` through the
google-genai SDK), used when the tenant has a ``GEMINI_API_KEY``.

One call per message: Gemini gets the customer's message and the retrieved articles only,
and answers with structured JSON (``responseMimeType: application/json`` plus a
``responseSchema``): the intent, the never-auto categories it sees, the ids of the given
articles that answer the message, and a Hungarian reply body written from those articles.

Anything but a well-formed answer (timeout, 429, 5xx, a blocked or truncated candidate,
JSON that does not fit the schema, an article id that was not given) raises
``GeminiUnavailable``, and the brain falls back to the offline path for that message.
Gemini never raises the calibrated confidence: it can add categories, disagree and cite,
and every one of those only makes the route more careful (see ``brain.Brain.judge``).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .retrieval import Hit
from .rules import Category

logger = logging.getLogger(__name__)

INTENTS = ("berles", "szerviz", "ertekesites", "general")
DEFAULT_MODEL = "gemini-2.5-flash"
DEFAULT_TIMEOUT_MS = 8000
# A reply longer than this is not the short answer Kokó gives; the schema cannot bound a
# string's length, so it is checked here.
MAX_REPLY_CHARS = 1200
MAX_OUTPUT_TOKENS = 1024
# Articles are sent whole; the KB's longest is well under this.
MAX_ARTICLE_CHARS = 4000

SYSTEM_INSTRUCTION = """\
You are Kokó, the first-line customer service assistant of KGC, a Hungarian machine \
rental, service and sales company. You receive one customer message and a few knowledge \
base articles (JSON). Answer with JSON that fits the response schema:

- intent: "berles" (rental), "szerviz" (repair/service), "ertekesites" (sales) or \
"general" (anything else: data protection, opening hours, complaints about people, ...).
- categories: every one of these that applies, else []: emergency (danger to people or \
property now), injury_damage (someone hurt or something damaged), theft, legal_threat \
(lawyer, court, authority), gdpr_request (erase/hand over my data), payment_dispute \
(wrong charge, refund demand), complaint, anger, specific_status (the status of the \
customer's own repair, order or rental without its ML-/R-/B- number), out_of_scope \
(the articles do not cover the topic), human_request (asks for a person). A question \
about a policy ("does the waiver cover theft?") is not the category itself.
- answered_by: the ids of the given articles that together fully answer the message, \
best first; [] if they do not.
- reply: the answer body in polite, formal Hungarian ("Ön"), at most three short \
sentences, using only facts stated in the articles listed in answered_by. Copy every \
price, fee, hour, date, percentage and phone number exactly as the article writes it; \
never compute, round or invent one. No greeting, no closing, no signature, no source \
line (they are added). Empty string when answered_by is [].
"""


def response_schema() -> Any:
    from google.genai import types

    string = types.Type.STRING
    return types.Schema(
        type=types.Type.OBJECT,
        properties={
            "intent": types.Schema(type=string, enum=list(INTENTS)),
            "categories": types.Schema(
                type=types.Type.ARRAY,
                items=types.Schema(type=string, enum=[c.value for c in Category])),
            "answered_by": types.Schema(type=types.Type.ARRAY, items=types.Schema(type=string)),
            "reply": types.Schema(type=string),
        },
        required=["intent", "categories", "answered_by", "reply"],
        property_ordering=["intent", "categories", "answered_by", "reply"],
    )


class GeminiUnavailable(Exception):
    """No usable answer from Gemini; ``reason`` is short and goes into the decision."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Verdict:
    intent: str
    categories: tuple[Category, ...]
    answered_by: tuple[str, ...]  # ids of given articles, best first
    reply: str
    model: str


def prompt(message: str, hits: Sequence[Hit]) -> str:
    articles = [{"id": h.kb_id, "title": h.title, "body": h.body[:MAX_ARTICLE_CHARS]}
                for h in hits]
    return json.dumps({"customer_message": message, "articles": articles},
                      ensure_ascii=False, indent=1)


def parse(text: str | None, given_ids: Sequence[str], model: str) -> Verdict:
    """The structured answer, checked field by field; anything off raises."""
    if not text:
        raise GeminiUnavailable("empty")
    try:
        data = json.loads(text)
    except ValueError as error:
        raise GeminiUnavailable("malformed_json") from error
    if not isinstance(data, dict):
        raise GeminiUnavailable("malformed_json")
    intent, categories = data.get("intent"), data.get("categories")
    answered_by, reply = data.get("answered_by"), data.get("reply")
    known = {c.value for c in Category}
    if (intent not in INTENTS or not isinstance(categories, list)
            or not all(isinstance(c, str) and c in known for c in categories)
            or not isinstance(answered_by, list)
            or not all(isinstance(i, str) for i in answered_by)
            or not isinstance(reply, str)):
        raise GeminiUnavailable("schema_mismatch")
    # Grounding: a reply may only cite articles it was given.
    if any(kb_id not in given_ids for kb_id in answered_by):
        raise GeminiUnavailable("unknown_article")
    reply = reply.strip()
    if len(reply) > MAX_REPLY_CHARS:
        raise GeminiUnavailable("reply_too_long")
    order = list(Category)
    return Verdict(
        intent=str(intent),
        categories=tuple(sorted({Category(c) for c in categories}, key=order.index)),
        answered_by=tuple(dict.fromkeys(answered_by)),
        reply=reply if answered_by else "",
        model=model,
    )


class GeminiGenerator:
    """Classifies and drafts one message with ``generateContent``; raises
    ``GeminiUnavailable`` on every failure, after one attempt (no retries: the offline
    path answers at once, a retry would only make the customer wait)."""

    def __init__(self, api_key: str, *, model: str = DEFAULT_MODEL,
                 timeout_ms: int = DEFAULT_TIMEOUT_MS, http_client: Any = None,
                 base_url: str | None = None) -> None:
        from google import genai
        from google.genai import types

        if not api_key:
            raise ValueError("Gemini needs an API key (GEMINI_API_KEY)")
        self.model = model
        self.timeout_ms = timeout_ms
        # HttpOptions.timeout is in milliseconds; the SDK passes it to every request.
        options = types.HttpOptions(timeout=timeout_ms, httpx_client=http_client,
                                    base_url=base_url)
        self._client = genai.Client(api_key=api_key, http_options=options)
        self._config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            response_mime_type="application/json",
            response_schema=response_schema(),
            temperature=0.0,
            max_output_tokens=MAX_OUTPUT_TOKENS,
            # No tools are declared; this only stops the SDK logging an AFC line per call.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )

    def generate(self, message: str, hits: Sequence[Hit]) -> Verdict:
        from google.genai import errors

        try:
            response = self._client.models.generate_content(
                model=self.model, contents=prompt(message, hits), config=self._config)
        except errors.APIError as error:
            # 429 (quota), 5xx (Google's side), 4xx (key, model name): all mean "not now".
            logger.warning("Gemini generateContent failed: %s %s", error.code, error.status)
            raise GeminiUnavailable(f"http_{error.code}") from error
        except Exception as error:
            # httpx(2).TimeoutException, connection errors, an SDK parsing error: the SDK
            # raises its transport's exceptions unwrapped.
            name = type(error).__name__
            reason = "timeout" if "Timeout" in name else f"error_{name}"
            logger.warning("Gemini generateContent failed: %s", name)
            raise GeminiUnavailable(reason) from error
        try:
            text = response.text
        except Exception as error:  # a candidate without text parts
            raise GeminiUnavailable("empty") from error
        return parse(text, [h.kb_id for h in hits], self.model)


_generators: dict[tuple[str, str, int], GeminiGenerator] = {}
_lock = threading.Lock()


def get_generator(api_key: str, model: str = DEFAULT_MODEL,
                  timeout_ms: int = DEFAULT_TIMEOUT_MS) -> GeminiGenerator | None:
    """One client per key, model and timeout per process (it holds a connection pool)."""
    if not api_key:
        return None
    key = (api_key, model, timeout_ms)
    with _lock:
        if key not in _generators:
            _generators[key] = GeminiGenerator(api_key, model=model, timeout_ms=timeout_ms)
        return _generators[key]
