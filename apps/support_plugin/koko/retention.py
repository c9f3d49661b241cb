"""How long Kokó keeps what customers wrote, and the daily clean-up.

After ``KOKO_TRANSCRIPT_RETENTION_DAYS`` (default 365) a reply row keeps its decision
(intent, route, confidence, status, approval outcome, feedback: the weekly figures) but
loses the texts that can hold personal data: the customer's message, the draft, the sent
reply and the send error. Rows still waiting for approval or still sending are left alone.

The privacy app's ``retention.py`` lists its rules by hand and names no plugin, so it has
no place for a plugin's rule; this runs as Kokó's own beat task
(``support_koko.apply_retention``, daily 04:20 Budapest, migration 0003) until that module
takes contributions.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import KokoReply

log = logging.getLogger("support_plugin.koko.retention")

DEFAULT_TRANSCRIPT_DAYS = 365


def transcript_days() -> int:
    return int(getattr(settings, "KOKO_TRANSCRIPT_RETENTION_DAYS", None)
                or DEFAULT_TRANSCRIPT_DAYS)


def apply_retention() -> int:
    """Clears the texts of replies older than the retention; returns how many rows."""
    cutoff = timezone.now() - timedelta(days=transcript_days())
    cleared = (KokoReply.objects.filter(created_at__lt=cutoff)
               .exclude(status=KokoReply.Status.AWAITING_APPROVAL)
               .exclude(send_state__in=(KokoReply.SendState.PENDING,
                                        KokoReply.SendState.SENDING))
               .filter(~Q(customer_text="") | ~Q(draft_text="") | ~Q(reply_text="")
                       | ~Q(send_error=""))
               .update(customer_text="", draft_text="", reply_text="", send_error=""))
    log.info("koko.retention transcripts=%s days=%s", cleared, transcript_days())
    return cleared


__all__ = ("apply_retention", "transcript_days")
