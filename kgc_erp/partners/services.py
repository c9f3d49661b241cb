"""Partner use cases that are more than a save: GDPR erasure, withdrawing consent."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .models import ConsentChange, Partner
from .signals import partner_erased

ERASED_NAME = "Törölt partner"


@transaction.atomic
def erase_partner(partner: Partner) -> Partner:
    """Anonymise a partner in place (GDPR erasure).

    The row stays so that rentals, worklogs and orders keep their accounting history; the
    personal data is gone. Receivers of `partner_erased` delete the copies kept by
    outside systems.
    """
    # A queryset update on purpose: erasure is not an ordinary edit, so it must not send
    # post_save (which would push the anonymised row to outside systems as an update).
    Partner.objects.filter(pk=partner.pk).update(
        name=f"{ERASED_NAME} #{partner.pk}",
        phone="",
        email="",
        company="",
        tax_number="",
        marketing_consent=False,
        is_active=False,
        updated_at=timezone.now(),
    )
    partner.refresh_from_db()
    partner_erased.send(sender=Partner, partner=partner)
    return partner


@transaction.atomic
def withdraw_marketing_consent(partner: Partner, source: str) -> bool:
    """Clear the partner's marketing consent and record when and how; False if already clear.

    An ordinary save on purpose (unlike erasure): `partner.updated` must reach the outside
    systems through the outbox, so a CRM stops offering marketing to this person too.
    """
    partner = Partner.objects.select_for_update().get(pk=partner.pk)
    if not partner.marketing_consent:
        return False
    partner.marketing_consent = False
    partner.save(update_fields=["marketing_consent", "updated_at"])
    ConsentChange.objects.create(partner=partner, marketing_consent=False, source=source[:100])
    return True
