"""The "where is this row synced" panel on core change pages, and its "sync now" action.

Per enabled subscriber of the object's update event: the latest delivery for the object
(its status, when, and the last error); per outside system: the stored link (remote id,
status, last sync, last error). The bus names no system: subscribers are plugin ids shown
by their manifest's name, systems are the connectors' own `SYSTEM` names.

"Sync now" records the object's update event again, so every enabled subscriber gets a
fresh delivery through the normal pipeline (ordered after anything still pending).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.plugin_manager import runtime
from apps.plugin_manager.eventbus.models import Delivery, ExternalRef, SyncStatus
from apps.plugin_manager.eventbus.object_refs import object_ref
from apps.plugin_manager.eventbus.outbox.recording import record_event
from apps.plugin_manager.registry import UnknownPlugin, get_plugin
from kgc_erp.partners.models import Partner
from kgc_erp.tenants.scoping import tenant_of_user

UPDATE_EVENT = "partner.updated"


@dataclass(frozen=True)
class SubscriberRow:
    name: str
    state: str  # ok / pending / failed / skipped / never
    label: str  # Hungarian
    when: datetime | None
    error: str


_DELIVERY_STATE = {
    Delivery.Status.SUCCEEDED: ("ok", "Szinkronizálva"),
    Delivery.Status.PENDING: ("pending", "Folyamatban"),
    Delivery.Status.DEAD: ("failed", "Hiba"),
    Delivery.Status.SKIPPED: ("skipped", "Kihagyva (kikapcsolt bővítmény)"),
}
_REF_STATE = {
    SyncStatus.SYNCED: ("ok", "Szinkronizálva"),
    SyncStatus.PENDING: ("pending", "Folyamatban"),
    SyncStatus.FAILED: ("failed", "Hiba"),
    SyncStatus.DELETED: ("skipped", "Törölve a külső rendszerből"),
}


def _plugin_name(plugin_id: str) -> str:
    try:
        return get_plugin(plugin_id).plugin_name
    except UnknownPlugin:
        return plugin_id


def subscriber_rows(obj: Model, tenant_id: int) -> list[SubscriberRow]:
    object_type, object_id = object_ref(obj)
    enabled = runtime.subscribers_for_event(UPDATE_EVENT, tenant_id)
    subscribers = dict.fromkeys(plugin_id for plugin_id, _handler in enabled)
    latest: dict[str, Delivery] = {}
    for found in Delivery.objects.filter(
        object_type=object_type, object_id=object_id, subscriber__in=list(subscribers)
    ).order_by("-id")[:200]:
        latest.setdefault(found.subscriber, found)
    rows = []
    for plugin_id in subscribers:
        delivery = latest.get(plugin_id)
        if delivery is None:
            rows.append(SubscriberRow(_plugin_name(plugin_id), "never", "Még nem szinkronizált",
                                      None, ""))
            continue
        state, label = _DELIVERY_STATE.get(Delivery.Status(delivery.status),
                                           ("pending", delivery.status))
        when = delivery.finished_at or delivery.created_at
        error = delivery.last_error if delivery.status != Delivery.Status.SUCCEEDED else ""
        rows.append(SubscriberRow(_plugin_name(plugin_id), state, label, when, error))
    return rows


def link_rows(obj: Model, tenant_id: int) -> list[dict[str, object]]:
    object_type, object_id = object_ref(obj)
    refs = ExternalRef.objects.filter(
        tenant_id=tenant_id, object_type=object_type, object_id=object_id
    ).order_by("system")
    rows: list[dict[str, object]] = []
    for ref in refs:
        state, label = _REF_STATE.get(SyncStatus(ref.sync_status), ("pending", ref.sync_status))
        rows.append({"system": ref.system, "external_id": ref.external_id, "state": state,
                     "label": label, "when": ref.last_synced_at, "error": ref.last_error})
    return rows


def render_partner_panel(request: HttpRequest, partner: Model) -> str:
    assert isinstance(partner, Partner)
    return render_to_string(
        "eventbus/object_sync_panel.html",
        {
            "subscribers": subscriber_rows(partner, partner.tenant_id),
            "links": link_rows(partner, partner.tenant_id),
            "sync_url": reverse("eventbus:partner-sync-now", args=[partner.pk]),
            "can_sync": request.user.has_perm("partners.change_partner"),
        },
        request=request,
    )


@staff_member_required
@require_POST
def sync_partner_now(request: HttpRequest, partner_id: int) -> HttpResponse:
    if not request.user.has_perm("partners.change_partner"):
        raise PermissionDenied
    # Staff of a store reach only their own store's partners, as in the partner admin.
    partners = Partner.objects.all()
    own_tenant = tenant_of_user(request.user)
    if own_tenant is not None:
        partners = partners.filter(tenant=own_tenant)
    partner = get_object_or_404(partners, pk=partner_id)
    with transaction.atomic():
        object_type, object_id = object_ref(partner)
        event = record_event(UPDATE_EVENT, tenant_id=partner.tenant_id,
                             object_type=object_type, object_id=object_id)
    if event is None:
        messages.warning(request, "Ehhez a partnerhez nincs bekapcsolt külső rendszer.")
    else:
        messages.success(request, "A szinkronizálás elindult; az állapot hamarosan frissül.")
    return HttpResponseRedirect(reverse("admin:partners_partner_change", args=[partner.pk]))


__all__ = ("link_rows", "render_partner_panel", "subscriber_rows", "sync_partner_now")
