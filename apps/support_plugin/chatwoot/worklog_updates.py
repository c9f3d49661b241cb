"""Worklog status -> its Chatwoot conversation: a public message for the customer and a
private note for the agents, for worklogs that came from Chatwoot (issue 5).

For the quote and "done" steps the public message is the customer notification with the
amount (the same templates as ``notifications.py``); the dedicated quote-ready / completed
notification handlers skip linked worklogs, so the customer never gets both.
"""

from __future__ import annotations

import logging

from django.template.loader import render_to_string

from apps.plugin_manager.eventbus.outbox.context import DeliveryContext
from kgc_erp.service.models import Worklog
from kgc_erp.service.services import LABELS

from . import notifications
from .config import ChatwootSettings, settings_for
from .conversations import conversation_link, post_once

log = logging.getLogger("support_plugin.chatwoot.worklog_updates")

# New status -> the customer-notification kind used as the public text.
NOTIFICATION_FOR_STATUS = {
    Worklog.Status.QUOTE: notifications.WORKLOG_QUOTE_READY,
    Worklog.Status.DONE: notifications.WORKLOG_REPAIR_DONE,
}


def public_text(worklog: Worklog, new_status: str) -> str:
    kind = NOTIFICATION_FOR_STATUS.get(Worklog.Status(new_status)) if new_status else None
    if kind is not None:
        return notifications.render(kind, worklog)
    return render_to_string(
        f"{notifications.TEMPLATE_DIR}/worklog_status.txt",
        {**notifications.template_context(worklog), "status": new_status,
         "status_label": LABELS.get(new_status, new_status)},
    ).strip()


def private_note(worklog: Worklog, old_status: str, new_status: str) -> str:
    return render_to_string(
        f"{notifications.TEMPLATE_DIR}/worklog_status_note.txt",
        {**notifications.template_context(worklog),
         "old_label": LABELS.get(old_status, old_status),
         "new_label": LABELS.get(new_status, new_status)},
    ).strip()


def post_status_change(context: DeliveryContext,
                       settings: ChatwootSettings | None = None) -> bool:
    """Returns True when something was posted (False: not a Chatwoot worklog)."""
    worklog = context.load_object()
    if not isinstance(worklog, Worklog) or worklog.source != Worklog.Source.CHATWOOT:
        return False
    settings = settings or settings_for(context.tenant, context.settings)
    client = settings.client()
    link = conversation_link(worklog, client.connection.account_id)
    if link is None:
        log.info("chatwoot.worklog.no-conversation worklog=%s", worklog.number)
        return False
    old_status = str(context.payload.get("old_status") or "")
    new_status = str(context.payload.get("new_status") or worklog.status)
    check = context.attempt > 1
    base = f"kgc:{context.event.uuid}"
    post_once(client, link.conversation_id, public_text(worklog, new_status),
              source_id=f"{base}:status", check_existing=check)
    post_once(client, link.conversation_id, private_note(worklog, old_status, new_status),
              source_id=f"{base}:note", private=True, check_existing=check)
    log.info("chatwoot.worklog.status-posted worklog=%s %s->%s conversation=%s",
             worklog.number, old_status, new_status, link.conversation_id)
    return True


__all__ = ("post_status_change", "private_note", "public_text")
