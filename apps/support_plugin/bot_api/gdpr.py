"""GDPR erasure: what the bot API keeps about an erased partner is reduced to ids.

The audit log never stored phone numbers or names (they are masked before the row is
written); on erasure the partner's rows also lose the free-text request id and query, and
the stored idempotent answers (which repeat the booking's note) are deleted.
"""

from __future__ import annotations

from django.dispatch import receiver

from kgc_erp.partners.models import Partner
from kgc_erp.partners.signals import partner_erased

from .models import ApiCallLog, IdempotencyRecord


def scrub_partner(partner_id: int) -> int:
    """Reduce the partner's audit rows to ids; returns how many rows were touched."""
    touched = ApiCallLog.objects.filter(partner_id=partner_id).update(query="", request_id="")
    IdempotencyRecord.objects.filter(partner_id=partner_id).delete()
    return touched


@receiver(partner_erased, sender=Partner, dispatch_uid="bot_api.scrub_erased_partner")
def on_partner_erased(sender: type[Partner], partner: Partner, **kwargs: object) -> None:
    scrub_partner(partner.pk)
