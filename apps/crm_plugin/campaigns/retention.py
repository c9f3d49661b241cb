"""How long the campaigns keep what they sent (manifest ``retention_policies``).

The send row itself stays for good (its unique occasion key keeps an e-mail from going out
twice, and it holds no identifier once emptied); the address, subject and bodies as sent,
and the SMTP error texts, are emptied after their periods. Defaults and reasons:
docs/privacy.md.
"""

from __future__ import annotations

from datetime import datetime

from apps.plugin_manager.privacy.retention import RetentionPolicy

from .models import CampaignSend

# Rows still to be sent keep what they need.
_SETTLED = (CampaignSend.Status.SENT, CampaignSend.Status.FAILED, CampaignSend.Status.SKIPPED)


def purge_bodies(cutoff: datetime) -> int:
    return (CampaignSend.objects.filter(created_at__lt=cutoff, status__in=_SETTLED)
            .exclude(to_email="", subject="", body_html="", body_text="")
            .update(to_email="", subject="", body_html="", body_text=""))


def purge_errors(cutoff: datetime) -> int:
    return (CampaignSend.objects.filter(created_at__lt=cutoff, status__in=_SETTLED)
            .exclude(error="").update(error=""))


SENT_BODIES = RetentionPolicy(
    "campaign_bodies", "Kampány e-mailek címzettje, tárgya és szövege (a napló sora marad)",
    "CAMPAIGN_SEND_BODY_RETENTION_DAYS", 180,
    "Fél évig megválaszolható, pontosan mit kapott az ügyfél (panasz, leiratkozás vitája); "
    "a küldés ténye és alkalma ezután is megmarad, így semmi nem megy ki kétszer.",
    purge_bodies, system="crm_campaigns")

SMTP_ERRORS = RetentionPolicy(
    "campaign_errors", "Kampány e-mailek SMTP hibaüzenetei",
    "CAMPAIGN_SEND_ERROR_RETENTION_DAYS", 90,
    "A visszautasító szerverek szövege idézheti a címet; egy negyedév elég a visszatérő "
    "kézbesítési hibák felismeréséhez.",
    purge_errors, system="crm_campaigns")

__all__ = ("SENT_BODIES", "SMTP_ERRORS", "purge_bodies", "purge_errors")
