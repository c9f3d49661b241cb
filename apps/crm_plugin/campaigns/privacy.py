"""The campaigns' part of a data-subject request (manifest ``privacy_handlers``).

What the campaigns keep about a person: one ``CampaignSend`` row per e-mail and occasion
(the address it went to, the subject and bodies exactly as sent, the SMTP error text of a
failed send) and, in the core, the ``ConsentChange`` history of the partner.

Erasure anonymises the send rows instead of deleting them: the row's unique (campaign,
partner, occasion) key is what makes a rerun or the event path find "already sent", so
keeping it guarantees no e-mail goes out again for an occasion; the address, subject,
bodies and error text are emptied, and rows still waiting to be sent are skipped. The
consent history is kept: it holds no identifier (partner id, yes/no, source, time) and is
the proof that the marketing consent was withdrawn, which the controller must be able to
show (GDPR Art. 7(1), 17(3)(e)).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed
from kgc_erp.partners.models import ConsentChange

from .models import CampaignSend

ERASED_REASON = "adatvédelmi kérelem alapján törölve"
PERSONAL_FIELDS = ("to_email", "subject", "body_html", "body_text", "error")


def _rows(subject: PrivacySubject) -> QuerySet[CampaignSend]:
    """The person's rows in the request's tenant: by partner, and any row that went to the
    person's address (another partner row sharing it, e.g. a family address)."""
    where = Q(partner_id=subject.partner_id) if subject.partner_id else Q(pk__in=[])
    if subject.email:
        where |= Q(to_email__iexact=subject.email)
    return CampaignSend.objects.filter(where, tenant=subject.tenant)


def _holding(rows: QuerySet[CampaignSend]) -> QuerySet[CampaignSend]:
    held = Q()
    for name in PERSONAL_FIELDS:
        held |= ~Q(**{name: ""})
    return rows.filter(held).exclude(error=ERASED_REASON, to_email="", subject="",
                                     body_html="", body_text="")


class CampaignsPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        sends = [
            {"id": s.pk, "campaign": s.campaign.kind, "occasion": s.occasion_key,
             "status": s.status, "to_email": s.to_email, "subject": s.subject,
             "body_text": s.body_text, "error": s.error, "created_at": s.created_at,
             "sent_at": s.sent_at}
            for s in _rows(subject).select_related("campaign").order_by("pk")
        ]
        consent = [
            {"marketing_consent": c.marketing_consent, "source": c.source,
             "created_at": c.created_at}
            for c in ConsentChange.objects.filter(
                partner_id=subject.partner_id, partner__tenant=subject.tenant
            ).order_by("created_at", "pk")
        ] if subject.partner_id else []
        return {"sends": sends, "consent_changes": consent}

    def erase(self, subject: PrivacySubject) -> Receipt:
        rows = _rows(subject)
        # Never sent now: the send handler only sends pending rows.
        skipped = rows.filter(status=CampaignSend.Status.PENDING).update(
            status=CampaignSend.Status.SKIPPED)
        changed = _holding(rows).update(to_email="", subject="", body_html="", body_text="",
                                        error=ERASED_REASON)
        left = _holding(rows).count()
        if left:
            raise VerificationFailed(f"{left} campaign send rows still hold personal data")
        total = rows.count()
        consent = (ConsentChange.objects.filter(partner_id=subject.partner_id).count()
                   if subject.partner_id else 0)
        if not total:
            return Receipt("nothing_held",
                           f"no campaign send rows; {consent} consent changes kept "
                           "(no identifiers, proof of withdrawal)")
        return Receipt("anonymised",
                       f"{changed} of {total} send rows emptied (address, subject, bodies, "
                       f"error), {skipped} pending skipped, occasion keys kept so nothing is "
                       f"re-sent; re-read: 0 left; {consent} consent changes kept "
                       "(no identifiers)")


__all__ = ("ERASED_REASON", "CampaignsPrivacyHandler")
