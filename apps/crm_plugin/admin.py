"""Admin: sync runs with progress (any backend), processed won deals, which CRM backend
each tenant uses, and the connectors' own pages."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from apps.plugin_manager.runtime import get_plugin_settings, is_enabled

from .backends import BACKEND_LABELS, DEFAULT_BACKEND
from .krayin import admin as krayin_admin  # noqa: F401 - registers the connector's pages
from .models import CrmTenant, ProcessedOpportunity, SyncRun
from .twenty import admin as twenty_admin  # noqa: F401 - registers the connector's pages

PLUGIN_ID = "crm"


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "backend", "tenant", "kind", "status", "phase", "progress", "calls",
                    "records_sent", "repaired", "started_at", "finished_at")  # fmt: skip
    list_filter = ("backend", "kind", "status")
    readonly_fields = tuple(f.name for f in SyncRun._meta.fields)

    @admin.display(description="haladás")
    def progress(self, obj: SyncRun) -> str:
        percent = obj.percent
        return f"{obj.done}/{obj.total} ({percent} %)" if percent is not None else f"{obj.done}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ProcessedOpportunity)
class ProcessedOpportunityAdmin(admin.ModelAdmin):
    list_display = ("name", "opportunity_id", "tenant", "created_at")
    readonly_fields = ("opportunity_id", "name", "tenant", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CrmTenant)
class CrmTenantAdmin(admin.ModelAdmin):
    """Read-only: the backend is chosen on the Plugins page (`crm_backend`, per tenant)."""

    list_display = ("name", "slug", "crm_enabled", "crm_backend")
    search_fields = ("name", "slug")

    @admin.display(description="CRM bekapcsolva", boolean=True)
    def crm_enabled(self, obj: CrmTenant) -> bool:
        return is_enabled(PLUGIN_ID, obj.pk)

    @admin.display(description="CRM rendszer")
    def crm_backend(self, obj: CrmTenant) -> str:
        value = str(get_plugin_settings(PLUGIN_ID, obj.pk).get("crm_backend") or DEFAULT_BACKEND)
        return BACKEND_LABELS.get(value, f"ismeretlen: {value}")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
