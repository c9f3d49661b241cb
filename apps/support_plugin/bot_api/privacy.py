"""The bot API's part of data-subject requests (the support plugin's ``privacy_handlers``):
its audit log and stored idempotent answers."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from apps.plugin_manager.privacy.handlers import PrivacySubject, Receipt, VerificationFailed

from .gdpr import scrub_partner
from .models import ApiCallLog, IdempotencyRecord


class BotApiPrivacyHandler:
    def export(self, subject: PrivacySubject) -> dict[str, Any]:
        if subject.partner_id is None:
            return {"calls": []}
        calls = ApiCallLog.objects.filter(partner_id=subject.partner_id).order_by("pk")
        return {"calls": list(calls.values()),
                "stored_answers": IdempotencyRecord.objects.filter(
                    partner_id=subject.partner_id).count()}

    def erase(self, subject: PrivacySubject) -> Receipt:
        if subject.partner_id is None:
            return Receipt("nothing_held", "no partner id")
        touched = scrub_partner(subject.partner_id)
        left = ApiCallLog.objects.filter(partner_id=subject.partner_id).filter(
            ~Q(query="") | ~Q(request_id="")).count()
        left += IdempotencyRecord.objects.filter(partner_id=subject.partner_id).count()
        if left:
            raise VerificationFailed(f"{left} bot API rows still hold free text")
        rows = ApiCallLog.objects.filter(partner_id=subject.partner_id).count()
        if not rows:
            return Receipt("nothing_held", "no bot API call about the partner")
        return Receipt("anonymised", f"{rows} audit rows reduced to ids ({touched} this run); "
                                     "re-read: 0 with free text, 0 stored answers")


__all__ = ("BotApiPrivacyHandler",)
