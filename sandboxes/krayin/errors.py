"""What can go wrong inside a request, as exceptions; `rendering.py` turns them into answers.

Each one names the Laravel exception it stands for, because how it is rendered depends on
APP_DEBUG and on whether the request "expects JSON" (NOTES section 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field


class KrayinError(Exception):
    """Base class: every failure the API layer knows how to render."""


@dataclass
class ValidationFailed(KrayinError):
    """Illuminate\\Validation\\ValidationException: field path -> messages, in rule order."""

    errors: dict[str, list[str]]

    @property
    def message(self) -> str:
        first = next(iter(self.errors.values()))[0]
        extra = sum(len(messages) for messages in self.errors.values()) - 1
        if extra <= 0:
            return first
        return f"{first} (and {extra} more error{'s' if extra > 1 else ''})"


class Unauthenticated(KrayinError):
    """Illuminate\\Auth\\AuthenticationException from auth:sanctum."""


@dataclass
class ModelNotFound(KrayinError):
    """ModelNotFoundException from findOrFail/firstOrFail (rendered as a 404)."""

    model: str
    ids: str = ""


@dataclass
class RouteNotFound(KrayinError):
    """NotFoundHttpException for a URL no route matches."""

    path: str


@dataclass
class MethodNotAllowed(KrayinError):
    """MethodNotAllowedHttpException: a 405 in debug, a 500 in production."""

    method: str
    path: str
    allowed: list[str] = field(default_factory=list)


@dataclass
class TooManyAttempts(KrayinError):
    """ThrottleRequestsException from throttle:api (60 per minute per user)."""

    retry_after: int
    limit: int


@dataclass
class ServerError(KrayinError):
    """A PHP error or an SQL error: a 500 whose debug message says what broke."""

    detail: str
    exception: str = "ErrorException"


@dataclass
class MeetingOverlap(KrayinError):
    """ActivityController's overlap check: 400 for XHR requests, otherwise redirect back."""


MODEL_CLASSES = {
    "lead": "Webkul\\Lead\\Models\\Lead",
    "person": "Webkul\\Contact\\Models\\Person",
    "organization": "Webkul\\Contact\\Models\\Organization",
    "activity": "Webkul\\Activity\\Models\\Activity",
    "pipeline": "Webkul\\Lead\\Models\\Pipeline",
    "stage": "Webkul\\Lead\\Models\\Stage",
    "source": "Webkul\\Lead\\Models\\Source",
    "type": "Webkul\\Lead\\Models\\Type",
    "user": "Webkul\\User\\Models\\User",
}


def not_found(kind: str, record_id: object) -> ModelNotFound:
    return ModelNotFound(MODEL_CLASSES[kind], str(record_id))
