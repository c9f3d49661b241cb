"""The integrations dashboard page (an extra admin URL of the delivery admin) and who may
see it. Franchise staff see their own tenant's figures only, like in the lists."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.plugin_manager.admin import can_manage
from apps.plugin_manager.eventbus.models import InboundDelivery
from apps.plugin_manager.models import HealthCheckRecord, PluginActionRun
from apps.plugin_manager.registry import installed_plugins
from kgc_erp.tenants.scoping import tenant_of_user

from . import charts, figures

VIEW_PERMISSION = "eventbus.view_delivery"


def can_view_dashboard(request: HttpRequest) -> bool:
    """The sidebar's permission callback as well as the page's guard."""
    user = request.user
    return bool(user.is_active and user.is_staff and user.has_perm(VIEW_PERMISSION))


def integrations_dashboard(delivery_admin: ModelAdmin, request: HttpRequest) -> TemplateResponse:
    if not can_view_dashboard(request):
        raise PermissionDenied
    tenant = tenant_of_user(request.user)
    hours = figures.window_hours()
    since = hours[0]
    deliveries = delivery_admin.get_queryset(request)
    inbound = InboundDelivery.objects.all()
    if tenant is not None:
        inbound = inbound.filter(tenant=tenant)

    bus = [
        charts.deliveries_per_hour(figures.deliveries_per_hour(deliveries, since), hours),
        charts.deliveries_per_subscriber(figures.deliveries_per_subscriber(deliveries, since)),
        charts.backlog(figures.backlog(deliveries)),
        charts.failure_reasons(figures.failure_reasons(deliveries)),
        charts.inbound_per_source(figures.inbound_per_source(inbound, since)),
    ]
    # Action runs and health history belong to the Plugins pages: the same permission.
    plugins: list[charts.Chart] = []
    if can_manage(request):
        runs = PluginActionRun.objects.all()
        records = HealthCheckRecord.objects.all()
        if tenant is not None:
            runs, records = runs.filter(tenant=tenant), records.filter(tenant=tenant)
        plugins.append(charts.action_runs(figures.recent_runs(runs)))
        health = figures.health_per_hour(records, since)
        names = {p.plugin_id: p.plugin_name for p in installed_plugins()}
        names.update({pid: pid for pid, _, _ in health if pid not in names})
        plugins += [charts.health_history(pid, names[pid], health, hours)
                    for pid in sorted(names)]  # fmt: skip

    context: dict[str, Any] = {
        **delivery_admin.admin_site.each_context(request),
        "title": "Integrációk áttekintése",
        "opts": delivery_admin.model._meta,
        "bus_charts": bus,
        "plugin_charts": plugins,
        "eventbus_overview_url": reverse("admin:eventbus_delivery_dashboard"),
    }
    return TemplateResponse(request, "admin/eventbus/integrations.html", context)
