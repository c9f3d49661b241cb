"""Event bus subscribers of the support plugin (declared in ``apps.py``).

Each handler re-reads the ERP state (``context.load_object()``), talks to the tenant's
Chatwoot through the client and is idempotent, because delivery is at least once.
"""

from __future__ import annotations

import logging

from apps.plugin_manager.eventbus.errors import PermanentDeliveryError
from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.partners.models import Partner
from kgc_erp.partners.services import ERASED_NAME
from kgc_erp.service.models import Worklog

from . import notifications
from .config import ChatwootSettings, settings_for
from .contact_sync import delete_partner_contact, sync_partner_contact
from .conversations import conversation_link
from .worklog_updates import post_status_change

log = logging.getLogger("support_plugin.chatwoot.outbound")


def _settings(context: DeliveryContext) -> ChatwootSettings:
    settings = settings_for(context.tenant, context.settings)
    if not settings.is_configured:
        # Retrying cannot help until an admin completes the settings.
        raise PermanentDeliveryError(f"Chatwoot is not configured for tenant {context.tenant.slug}")
    return settings


# -- partners -> contacts ----------------------------------------------------------------------


def _is_erased(partner: Partner) -> bool:
    return not partner.is_active and partner.name.startswith(ERASED_NAME)


def sync_partner(context: DeliveryContext) -> None:
    """partner.created / partner.updated: the contact exists and matches the partner."""
    settings = _settings(context)
    partner = context.load_object()
    if partner is None:
        delete_partner_contact(settings.client(), context.tenant, context.object_id, None)
        return
    assert isinstance(partner, Partner)
    if _is_erased(partner):
        return  # an update queued before the erasure: partner.deleted removes the contact
    sync_partner_contact(settings.client(), partner, context.tenant)


def delete_partner(context: DeliveryContext) -> None:
    """partner.deleted (GDPR erasure or delete): the contact is removed from Chatwoot."""
    settings = _settings(context)
    partner = context.load_object()
    delete_partner_contact(settings.client(), context.tenant, context.object_id,
                           partner if isinstance(partner, Partner) else None)


# -- customer notifications --------------------------------------------------------------------


def notify_rental_started(context: DeliveryContext) -> None:
    notifications.notify(context, notifications.RENTAL_STARTED, _settings(context))


def notify_rental_due_tomorrow(context: DeliveryContext) -> None:
    notifications.notify(context, notifications.RENTAL_DUE_TOMORROW, _settings(context))


def notify_rental_late(context: DeliveryContext) -> None:
    notifications.notify(context, notifications.RENTAL_LATE, _settings(context))


def notify_rental_returned(context: DeliveryContext) -> None:
    notifications.notify(context, notifications.RENTAL_RETURNED, _settings(context))


def notify_order_arrived(context: DeliveryContext) -> None:
    notifications.notify(context, notifications.ORDER_ARRIVED, _settings(context))


def _worklog_in_conversation(context: DeliveryContext, settings: ChatwootSettings) -> bool:
    """A Chatwoot worklog gets its quote / done text through the status update instead."""
    worklog = context.load_object()
    return (isinstance(worklog, Worklog) and worklog.source == Worklog.Source.CHATWOOT
            and settings.account_id is not None
            and conversation_link(worklog, settings.account_id) is not None)


def notify_worklog_quote_ready(context: DeliveryContext) -> None:
    settings = _settings(context)
    if not _worklog_in_conversation(context, settings):
        notifications.notify(context, notifications.WORKLOG_QUOTE_READY, settings)


def notify_worklog_completed(context: DeliveryContext) -> None:
    settings = _settings(context)
    if not _worklog_in_conversation(context, settings):
        notifications.notify(context, notifications.WORKLOG_REPAIR_DONE, settings)


# -- worklog status -> conversation ------------------------------------------------------------


def worklog_status_changed(context: DeliveryContext) -> None:
    post_status_change(context, _settings(context))


__all__ = (
    "delete_partner",
    "notify_order_arrived",
    "notify_rental_due_tomorrow",
    "notify_rental_late",
    "notify_rental_returned",
    "notify_rental_started",
    "notify_worklog_completed",
    "notify_worklog_quote_ready",
    "sync_partner",
    "worklog_status_changed",
)
