"""The Chatwoot dashboard app pages (see ``chatwoot/dashboard.py``)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from apps.plugin_manager.runtime import is_enabled
from kgc_erp.tenants.models import Tenant

from .chatwoot.config import PLUGIN_ID, settings_for
from .chatwoot.dashboard import agent_context, token_is_valid
from .chatwoot.partner_matching import match_partner


def _tenant_for(request: HttpRequest, slug: str) -> tuple[Tenant, int | None]:
    tenant = get_object_or_404(Tenant, slug=slug, is_active=True)
    if not is_enabled(PLUGIN_ID, tenant.pk):
        raise Http404
    account_id = settings_for(tenant).account_id
    if not token_is_valid(tenant, account_id, request.GET.get("token", "")):
        raise Http404  # no hint whether the tenant exists
    return tenant, account_id


@xframe_options_exempt  # shown inside Chatwoot's iframe
@require_GET
def dashboard_page(request: HttpRequest, slug: str) -> HttpResponse:
    tenant, _ = _tenant_for(request, slug)
    return render(request, "support_plugin/dashboard/page.html",
                  {"tenant": tenant, "token": request.GET["token"]})


@xframe_options_exempt
@require_GET
def dashboard_card(request: HttpRequest, slug: str) -> HttpResponse:
    """The partner card of a contact (``contact_id``, ``identifier``, ``email``, ``phone``)."""
    tenant, account_id = _tenant_for(request, slug)
    contact_id = request.GET.get("contact_id", "")
    contact = {
        "id": int(contact_id) if contact_id.isdigit() else None,
        "identifier": request.GET.get("identifier") or None,
        "email": request.GET.get("email") or None,
        "phone_number": request.GET.get("phone") or None,
    }
    partner = match_partner(tenant, contact, account_id or 0)
    context = {"tenant": tenant, "agent": agent_context(partner) if partner else None}
    return render(request, "support_plugin/dashboard/card.html", context,
                  status=200 if partner else 404)
