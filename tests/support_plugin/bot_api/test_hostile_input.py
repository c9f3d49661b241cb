"""Bad input gets a clear JSON 4xx (never a 500, never an HTML page) and is still audited."""

from __future__ import annotations

import pytest

from apps.support_plugin.bot_api.models import ApiCallLog

from .helpers import BotClient


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/v1/rentals/%00/status", 400, "invalid_number"),
        ("/api/v1/customers/by-phone/%00%0A", 400, "invalid_phone"),
        ("/api/v1/customers/by-phone/06-30/123-4567", 404, "not_found"),  # slash: still a phone
        ("/api/v1/rentals/R-2026-0001/status/extra", 404, "not_found"),
        ("/api/v1/nincs-ilyen", 404, "not_found"),
        ("/api/v1/inventory/check?sku=%00", 400, "validation_error"),
        ("/api/v1/inventory/check?sku=X&locaton=Gyor", 400, "unknown_parameter"),
        ("/api/v1/rentals/R-2026-0001/status?format=xml", 404, "not_found"),
    ],
)
def test_bad_urls_get_json_errors(api: BotClient, path: str, status: int, code: str) -> None:
    response = api.get(path)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["code"] == code


def test_hostile_path_is_still_audited(api: BotClient) -> None:
    api.get("/api/v1/rentals/R%00X/status")

    row = ApiCallLog.objects.get()
    assert row.status_code == 400
    assert "\x00" not in row.path


def test_oversized_body_is_413(write_api: BotClient, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = write_api.post("/api/v1/service/appointments",
                              {"customer_id": 1, "note": "x" * 5000})

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_wrong_method_is_405_with_allow(api: BotClient) -> None:
    response = api.client.delete("/api/v1/rentals/R-2026-0001/status",
                                 headers={"Authorization": f"Bearer {api.raw_key}"})

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
