"""How long Kokó keeps what customers wrote, listed and purged by the privacy registry.

After ``KOKO_TRANSCRIPT_RETENTION_DAYS`` (default 365, justified in docs/privacy.md) a
reply row keeps its decision (intent, route, confidence, status, approval outcome,
feedback: the weekly figures) but loses the texts that can hold personal data: the
customer's message, the draft, the sent reply and the error text. Rows still waiting for
approval or still sending keep theirs (the text is still to be sent or judged).

Declared in Kokó's manifest (``retention_policies``); the privacy app's daily
``privacy.apply_retention`` runs ``purge_transcripts`` with the policy's cut-off.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db.models import Q

from apps.plugin_manager.privacy.retention import RetentionPolicy

from .models import KokoReply

log = logging.getLogger("support_plugin.koko.retention")

DEFAULT_TRANSCRIPT_DAYS = 365


def transcript_days() -> int:
    return int(getattr(settings, "KOKO_TRANSCRIPT_RETENTION_DAYS", None)
               or DEFAULT_TRANSCRIPT_DAYS)


def purge_transcripts(cutoff: datetime) -> int:
    """Clears the texts of replies older than ``cutoff``; returns how many rows."""
    cleared = (KokoReply.objects.filter(created_at__lt=cutoff)
               .exclude(status=KokoReply.Status.AWAITING_APPROVAL)
               .exclude(send_state__in=(KokoReply.SendState.PENDING,
                                        KokoReply.SendState.SENDING))
               .filter(~Q(customer_text="") | ~Q(draft_text="") | ~Q(reply_text="")
                       | ~Q(send_error=""))
               .update(customer_text="", draft_text="", reply_text="", send_error=""))
    log.info("koko.retention transcripts=%s", cleared)
    return cleared


TRANSCRIPT_POLICY = RetentionPolicy(
    "koko_transcripts", "Kokó beszélgetésszövegei (ügyfélüzenet, javaslat, válasz)",
    "KOKO_TRANSCRIPT_RETENTION_DAYS", DEFAULT_TRANSCRIPT_DAYS,
    "Egy évig visszakereshető, mit írt az ügyfél és mit válaszolt Kokó (vitás válasz, "
    "negatív visszajelzés átnézése); utána csak a döntés és a visszajelzés marad a "
    "statisztikához.", purge_transcripts, system="koko")


__all__ = ("DEFAULT_TRANSCRIPT_DAYS", "TRANSCRIPT_POLICY", "purge_transcripts",
           "transcript_days")
