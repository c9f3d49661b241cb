"""Ticket type, urgency and category of a new ticket: from the conversation's labels and
priority today, from Kokó's intent once Kokó exists.

The seam: the Kokó app registers its classifier (``register_classifier``) in its
``ready()``; it gets the conversation payload (whose ``intent`` Kokó fills) and returns a
``Classification`` or None to fall back to the labels.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from .event_types import ConversationPayload

INCIDENT, REQUEST = 1, 2

# Chatwoot priority -> GLPI urgency (1 very low .. 5 very high).
PRIORITY_URGENCY = {"urgent": 5, "high": 4, "medium": 3, "low": 2}
# Labels KGC's agents use; the rest may map to a category through the settings.
INCIDENT_LABELS = frozenset({"hiba", "javitas", "reklamacio", "garancia", "szerviz"})
REQUEST_LABELS = frozenset({"kerdes", "informacio", "rendeles", "berles", "arajanlat"})
URGENT_LABELS = frozenset({"surgos", "urgent"})


@dataclass(frozen=True)
class Classification:
    type: int
    urgency: int
    category_id: int | None = None


class TicketClassifier(Protocol):
    def classify(self, conversation: ConversationPayload) -> Classification | None:
        """A classification, or None to let the labels decide."""


def from_labels(labels: Sequence[str], priority: str | None, *, default_type: int,
                categories: Mapping[str, int]) -> Classification:
    names = [label.strip().lower() for label in labels if label]
    ticket_type = default_type
    if any(name in INCIDENT_LABELS for name in names):
        ticket_type = INCIDENT
    elif any(name in REQUEST_LABELS for name in names):
        ticket_type = REQUEST
    urgency = PRIORITY_URGENCY.get(str(priority or "").lower(), 3)
    if any(name in URGENT_LABELS for name in names):
        urgency = max(urgency, 4)
    category = next((categories[name] for name in names if name in categories), None)
    return Classification(ticket_type, urgency, category)


_lock = threading.Lock()
_classifiers: list[TicketClassifier] = []


def register_classifier(classifier: TicketClassifier) -> None:
    with _lock:
        if classifier not in _classifiers:
            _classifiers.append(classifier)


def unregister_classifier(classifier: TicketClassifier) -> None:
    with _lock:
        if classifier in _classifiers:
            _classifiers.remove(classifier)


def classify(conversation: ConversationPayload, *, default_type: int,
             categories: Mapping[str, int]) -> Classification:
    with _lock:
        registered = list(_classifiers)
    for classifier in registered:
        result = classifier.classify(conversation)
        if result is not None:
            return result
    return from_labels(conversation.get("labels") or [], conversation.get("priority"),
                       default_type=default_type, categories=categories)


__all__ = (
    "Classification",
    "TicketClassifier",
    "classify",
    "from_labels",
    "register_classifier",
    "unregister_classifier",
)
