"""Kokó's figures per intent and week: how often it answered alone, asked for approval or
handed over, what colleagues did with its suggestions, and what customers said."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from .models import KokoReply
from .texts import INTENT_HU

S = KokoReply.Status
APPROVAL_STATUSES = (S.AWAITING_APPROVAL, S.APPROVED, S.EDITED, S.REJECTED)


@dataclass(frozen=True)
class Row:
    week: date
    intent: str
    total: int
    auto: int
    approval: int
    escalated: int
    approved: int
    edited: int
    rejected: int
    waiting: int
    thumbs_up: int
    thumbs_down: int

    @property
    def intent_hu(self) -> str:
        return INTENT_HU.get(self.intent, self.intent)

    def _rate(self, part: int) -> str:
        return f"{round(100 * part / self.total)}%" if self.total else "–"

    @property
    def auto_rate(self) -> str:
        return self._rate(self.auto)

    @property
    def approval_rate(self) -> str:
        return self._rate(self.approval)

    @property
    def escalation_rate(self) -> str:
        return self._rate(self.escalated)


def weekly(replies: QuerySet[KokoReply] | None = None) -> list[Row]:
    """Newest week first. Messages Kokó stayed silent on (a colleague had the
    conversation) are not decisions and are left out."""
    queryset = (replies if replies is not None else KokoReply.objects.all()).exclude(
        status=S.SILENCED)
    rows = (queryset.annotate(week=TruncWeek("created_at")).values("week", "intent")
            .annotate(
                total=Count("pk"),
                auto=Count("pk", filter=Q(status=S.AUTO)),
                approval=Count("pk", filter=Q(status__in=APPROVAL_STATUSES)),
                escalated=Count("pk", filter=Q(status=S.ESCALATED)),
                approved=Count("pk", filter=Q(status=S.APPROVED)),
                edited=Count("pk", filter=Q(status=S.EDITED)),
                rejected=Count("pk", filter=Q(status=S.REJECTED)),
                waiting=Count("pk", filter=Q(status=S.AWAITING_APPROVAL)),
                thumbs_up=Count("pk", filter=Q(feedback=KokoReply.Feedback.UP)),
                thumbs_down=Count("pk", filter=Q(feedback=KokoReply.Feedback.DOWN)),
            ).order_by("-week", "intent"))
    return [Row(week=row["week"].date(), intent=row["intent"], total=row["total"],
                auto=row["auto"], approval=row["approval"], escalated=row["escalated"],
                approved=row["approved"], edited=row["edited"], rejected=row["rejected"],
                waiting=row["waiting"], thumbs_up=row["thumbs_up"],
                thumbs_down=row["thumbs_down"]) for row in rows]


__all__ = ("Row", "weekly")
