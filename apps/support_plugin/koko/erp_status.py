"""Status answers from the ERP for a known partner who quotes a document number.

"Hol tart az M-2026-0012 munkalapom?" is not a knowledge-base question: the answer is the
document's current status, read through the bot API's own queries and customer wording
(``bot_api.queries``, ``bot_api.status_labels``, ``bot_api.views.orders.arrival_message``),
never from an article. The document must belong to the partner behind the Chatwoot
contact; a number that is not theirs (or not found) is never described to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.utils import formats, translation

from apps.support_plugin.bot_api.queries import worklog_lookup
from apps.support_plugin.bot_api.status_labels import (
    ORDER_STATUS_HU,
    RENTAL_STATUS_HU,
    WORKLOG_STATUS_HU,
    label,
)
from kgc_erp.numbering.sequences import ORDER_PREFIX, RENTAL_PREFIX, WORKLOG_PREFIX
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order

from .drafting import CLOSING, GREETING

# The ERP's numbers (R-2026-0001 rental, M-2026-0123 worklog, O-2026-0456 order), as
# customers type them: any case, surrounded by text.
_NUMBER = re.compile(r"\b([RMOrmo])-(\d{4})-(\d{4,9})\b")

INTENT_OF_PREFIX = {RENTAL_PREFIX: "berles", WORKLOG_PREFIX: "szerviz",
                    ORDER_PREFIX: "ertekesites"}


@dataclass(frozen=True)
class ErpAnswer:
    number: str
    intent: str
    found: bool  # False: no such document of this partner (nothing is told about it)
    text: str = ""


def document_numbers(text: str) -> list[str]:
    """The canonical numbers quoted in ``text``, in order, without repeats."""
    seen: list[str] = []
    for match in _NUMBER.finditer(text or ""):
        number = f"{match[1].upper()}-{match[2]}-{match[3]}"
        if number not in seen:
            seen.append(number)
    return seen


def _day(value: date) -> str:
    with translation.override("hu"):
        return str(formats.date_format(value, "Y. F j."))


def _worklog_sentence(tenant_id: int, partner_id: int, number: str) -> str | None:
    worklog = worklog_lookup(tenant_id, number)
    if worklog is None or worklog.partner_id != partner_id:
        return None
    parts = [f"A(z) {number} számú munkalap ({worklog.machine_type}) állapota: "
             f"{label(WORKLOG_STATUS_HU, worklog.status)}."]
    if worklog.can_pickup:
        parts.append("A gép átvehető az üzletben.")
    elif worklog.estimated_completion:
        parts.append(f"Várható elkészülés: {_day(worklog.estimated_completion)}")
    return " ".join(parts)


def _rental_sentence(tenant_id: int, partner_id: int, number: str) -> str | None:
    rental = (Rental.objects.select_related("machine")
              .filter(tenant_id=tenant_id, number=number, partner_id=partner_id).first())
    if rental is None:
        return None
    parts = [f"A(z) {number} számú bérlés ({rental.machine.name}) állapota: "
             f"{label(RENTAL_STATUS_HU, rental.status)}."]
    if rental.status != Rental.Status.COMPLETED:
        parts.append(f"Lejárat: {_day(rental.end_date)}")
        late = rental.late_days()
        if late:
            parts.append(f"Késés: {late} nap.")
    return " ".join(parts)


def _order_sentence(tenant_id: int, partner_id: int, number: str) -> str | None:
    from apps.support_plugin.bot_api.views.orders import arrival_message

    order = Order.objects.filter(tenant_id=tenant_id, number=number,
                                 partner_id=partner_id).first()
    if order is None:
        return None
    return (f"A(z) {number} számú rendelés állapota: {label(ORDER_STATUS_HU, order.status)}. "
            f"{arrival_message(order)}")


_SENTENCES = {WORKLOG_PREFIX: _worklog_sentence, RENTAL_PREFIX: _rental_sentence,
              ORDER_PREFIX: _order_sentence}


def answer(tenant_id: int, partner_id: int | None, text: str) -> ErpAnswer | None:
    """None when the message quotes no document number. Otherwise the status of every
    quoted document of this partner; ``found`` is False if any of them is unknown or not
    the partner's (a person then looks at it), or the contact is not a known partner."""
    numbers = document_numbers(text)
    if not numbers:
        return None
    intent = INTENT_OF_PREFIX[numbers[0][0]]
    if partner_id is None:
        return ErpAnswer(numbers[0], intent, found=False)
    sentences = []
    for number in numbers[:3]:
        sentence = _SENTENCES[number[0]](tenant_id, partner_id, number)
        if sentence is None:
            return ErpAnswer(number, intent, found=False)
        sentences.append(sentence)
    body = "\n".join(sentences)
    return ErpAnswer(numbers[0], intent, found=True,
                     text=f"{GREETING}\n\n{body}\n\n(Forrás: KGC ügyviteli rendszer)\n\n{CLOSING}")


__all__ = ("ErpAnswer", "answer", "document_numbers")
