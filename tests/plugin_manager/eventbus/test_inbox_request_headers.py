"""The inbox reads headers from the WSGI environ by name, as Django's request.headers would."""

from __future__ import annotations

from django.http.request import HttpHeaders

from apps.plugin_manager.eventbus.inbox.request_headers import EnvironHeaders

ENVIRON = {
    "HTTP_X_CHATWOOT_SIGNATURE": "sha256=abc",
    "HTTP_USER_AGENT": "Chatwoot",
    "CONTENT_TYPE": "application/json",
    "CONTENT_LENGTH": "12",
    "REQUEST_METHOD": "POST",
    "wsgi.input": object(),
}


def test_lookups_are_case_insensitive_and_match_django() -> None:
    headers = EnvironHeaders(ENVIRON)
    django_headers = HttpHeaders(ENVIRON)
    for name in ("X-Chatwoot-Signature", "x-chatwoot-signature", "User-Agent",
                 "Content-Type", "content-length"):
        assert headers[name] == django_headers[name]
        assert headers.get(name) == django_headers.get(name)
        assert name in headers
    assert "X-Chatwoot-Delivery" not in headers
    assert headers.get("X-Chatwoot-Delivery") is None
    assert "Request-Method" not in headers  # CGI variables are not headers


def test_iterating_lists_what_django_lists() -> None:
    assert dict(EnvironHeaders(ENVIRON)) == dict(HttpHeaders(ENVIRON))
    assert len(EnvironHeaders(ENVIRON)) == len(HttpHeaders(ENVIRON))
