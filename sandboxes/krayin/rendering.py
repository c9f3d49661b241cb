"""How Krayin answers, success or failure (NOTES section 6).

The Admin exception handler wins: with APP_DEBUG=false only 401/403/404/503 and validation
keep their status, everything else (auth failures included) becomes a 500 with a raw
translation key. Requests that do not "expect JSON" get Laravel's web answers instead: a
302 redirect back for validation errors and HTML error pages, and auth failures there are
500s because the `customer.session.index` login route does not exist in Krayin.
"""

from __future__ import annotations

import html
import json

from werkzeug.wrappers import Request, Response

from sandboxes.krayin.errors import (
    KrayinError,
    MeetingOverlap,
    MethodNotAllowed,
    ModelNotFound,
    RouteNotFound,
    ServerError,
    TooManyAttempts,
    Unauthenticated,
    ValidationFailed,
)
from sandboxes.krayin.models import JsonObject, JsonValue

INTERNAL = "admin::app.common.internal-server-error"
NOT_FOUND = "admin::app.common.resource-not-found"
UNAUTHENTICATED = "admin::app.common.unauthenticated"
OVERLAP = "Participants have another meeting at this time."
TOO_MANY = "Too Many Attempts."
HANDLER_FILE = (
    "/var/www/krayin/vendor/laravel/framework/src/Illuminate/Foundation/Exceptions/Handler.php"
)


def php_json(payload: JsonValue) -> bytes:
    """JsonResponse's json_encode: compact, `/` escaped as `\\/`, non-ASCII as \\u escapes."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
    return text.replace("/", "\\/").encode()


def json_response(
    payload: JsonValue, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(php_json(payload), status, headers, mimetype="application/json")


def _media_types(accept: str) -> list[str]:
    """getAcceptableContentTypes: by quality, highest first, order kept among equals."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        if not media:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, index, media.lower()))
    return [media for _, _, media in sorted(ranked)]


def wants_json(request: Request) -> bool:
    types = _media_types(request.headers.get("Accept", ""))
    return bool(types) and ("/json" in types[0] or "+json" in types[0])


def expects_json(request: Request) -> bool:
    """Request::expectsJson: (ajax && !pjax && accepts any type) || wantsJson."""
    types = _media_types(request.headers.get("Accept", ""))
    accepts_any = not types or types[0] in ("*/*", "*")
    ajax = request.headers.get("X-Requested-With") == "XMLHttpRequest"
    pjax = bool(request.headers.get("X-PJAX"))
    return (ajax and not pjax and accepts_any) or wants_json(request)


def is_xhr(request: Request) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def html_page(status: int, title: str) -> Response:
    body = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n"
        f'<div class="code">{status}</div><div class="message">{html.escape(title)}</div>\n'
        "</body>\n</html>\n"
    )
    return Response(body, status, mimetype="text/html")


def redirect_back(request: Request) -> Response:
    target = request.headers.get("Referer") or request.host_url
    escaped = html.escape(target)
    body = (
        '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n'
        f'        <meta http-equiv="refresh" content="0;url=\'{escaped}\'" />\n\n'
        f"        <title>Redirecting to {escaped}</title>\n    </head>\n    <body>\n"
        f'        Redirecting to <a href="{escaped}">{escaped}</a>.\n    </body>\n</html>'
    )
    return Response(body, 302, {"Location": target}, mimetype="text/html")


def _debug_body(message: str, exception: str) -> JsonObject:
    return {
        "message": message,
        "exception": exception,
        "file": HANDLER_FILE,
        "line": 487,
        "trace": [],
    }


def render_error(exc: KrayinError, request: Request, *, debug: bool) -> Response:
    as_json = expects_json(request)
    if isinstance(exc, ValidationFailed):
        if not as_json:
            return redirect_back(request)
        errors: JsonObject = {path: list[JsonValue](msgs) for path, msgs in exc.errors.items()}
        return json_response({"message": exc.message, "errors": errors}, 422)
    if isinstance(exc, MeetingOverlap):
        if not is_xhr(request):
            return redirect_back(request)
        return json_response({"message": OVERLAP}, 400)
    if isinstance(exc, Unauthenticated):
        if not as_json:
            return html_page(500, "Server Error")
        if debug:
            return json_response({"message": UNAUTHENTICATED}, 401)
        return json_response({"message": INTERNAL}, 500)
    if isinstance(exc, ModelNotFound | RouteNotFound):
        if not as_json:
            return html_page(404, "Not Found")
        if not debug:
            return json_response({"message": NOT_FOUND}, 404)
        if isinstance(exc, ModelNotFound):
            message = f"No query results for model [{exc.model}] {exc.ids}".rstrip()
        else:
            message = f"The route {exc.path.lstrip('/')} could not be found."
        exception = "Symfony\\Component\\HttpKernel\\Exception\\NotFoundHttpException"
        return json_response(_debug_body(message, exception), 404)
    if isinstance(exc, TooManyAttempts):
        headers = {
            "Retry-After": str(exc.retry_after),
            "X-RateLimit-Limit": str(exc.limit),
            "X-RateLimit-Remaining": "0",
        }
        if not debug:
            return (
                json_response({"message": INTERNAL}, 500)
                if as_json
                else html_page(500, "Server Error")
            )
        if not as_json:
            return html_page(429, "Too Many Requests")
        return json_response({"message": TOO_MANY}, 429, headers)
    if isinstance(exc, MethodNotAllowed):
        if not debug:
            return (
                json_response({"message": INTERNAL}, 500)
                if as_json
                else html_page(500, "Server Error")
            )
        message = (
            f"The {exc.method} method is not supported for route {exc.path.lstrip('/')}. "
            f"Supported methods: {', '.join(exc.allowed)}."
        )
        exception = "Symfony\\Component\\HttpKernel\\Exception\\MethodNotAllowedHttpException"
        if not as_json:
            return html_page(405, "Method Not Allowed")
        return json_response(_debug_body(message, exception), 405)
    detail = exc.detail if isinstance(exc, ServerError) else type(exc).__name__
    if not as_json:
        return html_page(500, "Server Error")
    if debug:
        exception = exc.exception if isinstance(exc, ServerError) else "ErrorException"
        return json_response(_debug_body(detail, exception), 500)
    return json_response({"message": INTERNAL}, 500)
