"""The unsubscribe page (GET: a confirm button, POST: withdraw) and the RFC 8058 one-click
POST that mail clients send without a session or a CSRF token."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .unsubscribe import InvalidToken, Outcome, apply_unsubscribe, read_token

TEMPLATE = "campaigns/unsubscribe.html"


def _invalid(request: HttpRequest, error: InvalidToken) -> HttpResponse:
    return render(request, TEMPLATE, {"state": "expired" if error.expired else "invalid"},
                  status=400)


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the e-mail: GET asks, POST (with CSRF, from our own form) withdraws."""
    try:
        parsed = read_token(token)
    except InvalidToken as error:
        return _invalid(request, error)
    if request.method == "GET":
        return render(request, TEMPLATE, {"state": "confirm"})
    outcome = apply_unsubscribe(parsed, "unsubscribe_page")
    return render(request, TEMPLATE, {"state": "done" if outcome == Outcome.WITHDRAWN
                                      else "already"})


# CSRF-exempt on purpose and only here: the mail client POSTs
# "List-Unsubscribe=One-Click" with no cookies; the signed token is the authorisation, and
# it names one partner, so nothing else can be changed through this view.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def one_click_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        parsed = read_token(token)
    except InvalidToken as error:
        return _invalid(request, error)
    if request.method == "GET":
        # A person opened the header's URL: the same confirm page, posting to the
        # CSRF-protected view.
        return render(request, TEMPLATE, {
            "state": "confirm", "action": reverse("crm_campaigns:unsubscribe", args=[token])})
    outcome = apply_unsubscribe(parsed, "one_click")
    return render(request, TEMPLATE, {"state": "done" if outcome == Outcome.WITHDRAWN
                                      else "already"})


__all__ = ("one_click_unsubscribe", "unsubscribe")
