"""Customer notifications: Hungarian texts (Django templates) posted into the customer's
conversation, exactly once per event and kind.

Once: a ``NotificationSent`` row is the record of success; before it exists, a retry looks
for the message our earlier attempt may have posted (by ``source_id``) before posting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError
from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.partners.models import Partner
from kgc_erp.rentals.models import Rental
from kgc_erp.sales.models import Order
from kgc_erp.service.models import Worklog

from .config import ChatwootSettings, settings_for
from .contact_sync import contact_id_for, sync_partner_contact
from .conversations import post_once, resolve_conversation
from .errors import ChatwootNotFound
from .models import NotificationSent

log = logging.getLogger("support_plugin.chatwoot.notifications")

TEMPLATE_DIR = "support_plugin/notifications"


@dataclass(frozen=True)
class Kind:
    name: str  # also the template name
    model: type[Rental] | type[Worklog] | type[Order]


RENTAL_STARTED = Kind("rental_started", Rental)
RENTAL_DUE_TOMORROW = Kind("rental_due_tomorrow", Rental)
RENTAL_LATE = Kind("rental_late", Rental)
RENTAL_RETURNED = Kind("rental_returned", Rental)
WORKLOG_QUOTE_READY = Kind("worklog_quote_ready", Worklog)
WORKLOG_REPAIR_DONE = Kind("worklog_repair_done", Worklog)
ORDER_ARRIVED = Kind("order_arrived", Order)
KINDS = (RENTAL_STARTED, RENTAL_DUE_TOMORROW, RENTAL_LATE, RENTAL_RETURNED,
         WORKLOG_QUOTE_READY, WORKLOG_REPAIR_DONE, ORDER_ARRIVED)


def format_huf(amount: Decimal | int | None) -> str:
    """``12 500 Ft`` (Hungarian grouping with a non-breaking space)."""
    if amount is None:
        return ""
    return f"{int(amount):,}".replace(",", "\u00a0") + "\u00a0Ft"


def template_context(obj: Rental | Worklog | Order) -> dict[str, object]:
    """What every template may name: the customer, the machine, the number, the amount."""
    context: dict[str, object] = {"partner": obj.partner, "number": obj.number}
    if isinstance(obj, Rental):
        context.update(
            rental=obj, machine=obj.machine.name, end_date=obj.end_date,
            daily_rate=format_huf(obj.machine.daily_rate), amount=format_huf(obj.total_cost),
            late_days=obj.late_days(),
        )
    elif isinstance(obj, Worklog):
        context.update(
            worklog=obj, machine=obj.machine_type, amount=format_huf(obj.quote_amount),
            repair_cost=format_huf(_payable_repair(obj)),
        )
    else:
        lines = list(obj.lines.select_related("product"))
        context.update(order=obj, amount=format_huf(obj.total_amount),
                       items=[f"{line.quantity} × {line.product.name}" for line in lines])
    return context


def _payable_repair(worklog: Worklog) -> Decimal | None:
    """The repair cost, else the accepted quote; nothing for a declined quote."""
    if worklog.repair_cost is not None:
        return worklog.repair_cost
    return worklog.quote_amount if worklog.quote_accepted else None


def render(kind: Kind, obj: Rental | Worklog | Order) -> str:
    return render_to_string(f"{TEMPLATE_DIR}/{kind.name}.txt", template_context(obj)).strip()


def _record(context: DeliveryContext, kind: Kind, account_id: int, display_id: int,
            message_id: int) -> None:
    try:
        with transaction.atomic():
            NotificationSent.objects.create(
                tenant=context.tenant, event_uuid=context.event.uuid, kind=kind.name,
                object_type=context.object_type, object_id=context.object_id,
                account_id=account_id, conversation_id=display_id, message_id=message_id,
            )
    except IntegrityError:
        pass  # a concurrent attempt recorded it first; the message exists once either way


def notify(context: DeliveryContext, kind: Kind,
           settings: ChatwootSettings | None = None) -> NotificationSent | None:
    """Post ``kind`` for the event's object; returns the record (None when not applicable)."""
    done = NotificationSent.objects.filter(event_uuid=context.event.uuid, kind=kind.name).first()
    if done is not None:
        return done
    obj = context.load_object()
    if obj is None:
        log.info("chatwoot.notification.skipped kind=%s object=%s: gone", kind.name,
                 context.object_id)
        return None
    if not isinstance(obj, kind.model):
        raise PermanentDeliveryError(f"{kind.name} expects {kind.model.__name__}, "
                                     f"got {type(obj).__name__}")
    obj = cast("Rental | Worklog | Order", obj)  # narrowed by the isinstance just above
    partner: Partner = obj.partner
    if not partner.is_active:
        return None  # erased or deactivated customers get nothing
    settings = settings or settings_for(context.tenant, context.settings)
    client = settings.client()
    account_id = client.connection.account_id
    contact_id = contact_id_for(context.tenant, partner, account_id)
    if contact_id is None:
        contact_id = sync_partner_contact(client, partner, context.tenant)
    source_id = f"kgc:{context.event.uuid}:{kind.name}"
    worklog = obj if isinstance(obj, Worklog) else None
    try:
        display_id = resolve_conversation(client, contact_id=contact_id,
                                          inbox_id=settings.inbox_id, key=source_id,
                                          worklog=worklog)
    except ChatwootNotFound:
        # The linked contact was deleted in Chatwoot: find or create it again, then retry.
        contact_id = sync_partner_contact(client, partner, context.tenant)
        display_id = resolve_conversation(client, contact_id=contact_id,
                                          inbox_id=settings.inbox_id, key=source_id,
                                          worklog=worklog)
    message = post_once(client, display_id, render(kind, obj), source_id=source_id,
                        check_existing=context.attempt > 1)
    _record(context, kind, account_id, display_id, int(message["id"]))
    log.info("chatwoot.notification.sent kind=%s %s conversation=%s", kind.name,
             obj.number, display_id)
    return NotificationSent.objects.get(event_uuid=context.event.uuid, kind=kind.name)


__all__ = ("KINDS", "Kind", "format_huf", "notify", "render", "template_context")
