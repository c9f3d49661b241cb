"""How long the GLPI mirror keeps its error texts (manifest ``retention_policies``).

The ticket links and sync records hold ids only and stay while the conversation may go
on; the last error of a link and of the poll can quote what GLPI refused (a requester's
e-mail in a 400), so they are cleared after the event bus's error-text period.
"""

from __future__ import annotations

from datetime import datetime

from apps.plugin_manager.privacy.retention import DEFAULT_DELIVERY_ERROR_DAYS, RetentionPolicy

from .models import GlpiPollCursor, GlpiTicketLink


def purge_errors(cutoff: datetime) -> int:
    links = (GlpiTicketLink.objects.filter(updated_at__lt=cutoff).exclude(last_error="")
             .update(last_error=""))
    cursors = (GlpiPollCursor.objects.filter(last_polled_at__lt=cutoff).exclude(last_error="")
               .update(last_error=""))
    return links + cursors


ERROR_TEXTS = RetentionPolicy(
    "glpi_errors", "GLPI jegyek és visszaolvasás hibaüzenetei",
    "PRIVACY_DELIVERY_ERROR_RETENTION_DAYS", DEFAULT_DELIVERY_ERROR_DAYS,
    "A GLPI által visszautasított adatot idézhetik; egy negyedév elég a hibák "
    "felismeréséhez (ugyanaz, mint a kézbesítési hibáknál).",
    purge_errors, system="glpi")

__all__ = ("ERROR_TEXTS", "purge_errors")
