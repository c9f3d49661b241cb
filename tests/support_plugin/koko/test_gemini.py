"""The Gemini provider against the REST shapes of batchEmbedContents (the google-genai SDK
calls that endpoint for every embed_content on the Gemini API), through an
httpx2.MockTransport: no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import numpy as np
import pytest
from google.genai import errors, types

from apps.support_plugin.koko.embeddings import GeminiProvider

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _provider(handler: Any) -> GeminiProvider:
    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    return GeminiProvider("test-key", http_options=types.HttpOptions(httpx_client=client))


def test_documents_and_queries_use_their_task_types_and_384_dimensions() -> None:
    requests: list[httpx2.Request] = []
    response = _fixture("gemini_batch_embed_contents.json")

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        count = len(json.loads(request.content)["requests"])
        return httpx2.Response(200, json={"embeddings": response["embeddings"][:count]})

    provider = _provider(handler)
    passages = provider.embed_passages(["Kaució", "Fizetési módok"])
    query = provider.embed_query("mennyi a kaució")

    assert provider.name == "gemini/gemini-embedding-001@384"
    assert [v.shape for v in passages] == [(384,), (384,)]
    assert query.shape == (384,)
    # Truncated Matryoshka vectors are re-normalised for cosine search.
    assert all(abs(float(np.linalg.norm(v)) - 1) < 1e-5 for v in [*passages, query])
    first, second = (json.loads(r.content) for r in requests)
    assert requests[0].url.path.endswith("/models/gemini-embedding-001:batchEmbedContents")
    assert requests[0].headers["x-goog-api-key"] == "test-key"
    assert {r["taskType"] for r in first["requests"]} == {"RETRIEVAL_DOCUMENT"}
    assert second["requests"][0]["taskType"] == "RETRIEVAL_QUERY"
    assert {r["outputDimensionality"] for r in first["requests"] + second["requests"]} == {384}
    assert first["requests"][0]["content"]["parts"] == [{"text": "Kaució"}]
    assert first["requests"][0]["model"] == "models/gemini-embedding-001"


def test_a_short_answer_is_an_error_not_a_misaligned_vector() -> None:
    one = _fixture("gemini_batch_embed_contents.json")["embeddings"][:1]
    provider = _provider(lambda request: httpx2.Response(200, json={"embeddings": one}))
    with pytest.raises(RuntimeError, match="1 embeddings for 2 texts"):
        provider.embed_passages(["a", "b"])


def test_api_errors_reach_the_caller() -> None:
    body = _fixture("gemini_error_429.json")
    provider = _provider(lambda request: httpx2.Response(429, json=body))
    with pytest.raises(errors.ClientError) as caught:
        provider.embed_query("mennyi a kaució")
    assert caught.value.code == 429


def test_needs_a_key() -> None:
    with pytest.raises(ValueError, match="GEMINI_API_KEY"):
        GeminiProvider("")
