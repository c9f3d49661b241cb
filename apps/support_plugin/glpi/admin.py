"""Admin of the GLPI mirror: per conversation its ticket, last sync and error, with retry."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from apps.plugin_manager.eventbus.manual_retry import retry_deliveries
from apps.plugin_manager.eventbus.models import Delivery
from apps.support_plugin.chatwoot.event_types import CONVERSATION_OBJECT_TYPE

from .config import PLUGIN_ID, settings_for
from .mappers import STATUS_LABELS
from .models import GlpiPollCursor, GlpiSyncRecord, GlpiTicketLink
from .ticket_sync import ticket_url


class GlpiSyncRecordInline(admin.TabularInline):
    model = GlpiSyncRecord
    fields = ("direction", "key", "state", "chatwoot_message_id", "followup_id", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(GlpiTicketLink)
class GlpiTicketLinkAdmin(admin.ModelAdmin):
    list_display = ("conversation_id", "account_id", "tenant", "ticket", "worklog",
                    "chatwoot_status", "glpi_status_label", "last_synced_at", "error")
    list_filter = ("tenant", "chatwoot_status")
    search_fields = ("conversation_id", "ticket_id", "worklog__number")
    list_select_related = ("tenant", "worklog")
    readonly_fields = ("tenant", "account_id", "conversation_id", "ticket", "ticket_id",
                       "requester_id", "worklog", "chatwoot_status", "glpi_status",
                       "last_followup_id", "last_synced_at", "last_error", "created_at",
                       "updated_at")
    inlines = (GlpiSyncRecordInline,)
    actions = ("retry",)

    @admin.display(description="GLPI jegy", ordering="ticket_id")
    def ticket(self, obj: GlpiTicketLink) -> str:
        if obj.ticket_id is None:
            return "– (létrehozás folyamatban)"
        url = ticket_url(settings_for(obj.tenant), obj.ticket_id)
        return format_html('<a href="{}" target="_blank" rel="noopener">#{}</a>', url,
                           obj.ticket_id)

    @admin.display(description="GLPI állapot", ordering="glpi_status")
    def glpi_status_label(self, obj: GlpiTicketLink) -> str:
        return STATUS_LABELS.get(obj.glpi_status or 0, "–")

    @admin.display(description="utolsó hiba")
    def error(self, obj: GlpiTicketLink) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description="Sikertelen GLPI szinkron újrapróbálása")
    def retry(self, request: HttpRequest, queryset: QuerySet[GlpiTicketLink]) -> None:
        objects = Q()
        for link in queryset:
            objects |= Q(tenant_id=link.tenant_id, object_id=link.object_id)
        if not objects:
            return
        deliveries = Delivery.objects.filter(
            objects, subscriber=PLUGIN_ID, object_type=CONVERSATION_OBJECT_TYPE,
            status__in=(Delivery.Status.DEAD, Delivery.Status.SKIPPED))
        count = retry_deliveries(deliveries)
        queryset.update(last_error="")
        self.message_user(request, f"{count} kézbesítés újra sorba állítva.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(GlpiPollCursor)
class GlpiPollCursorAdmin(admin.ModelAdmin):
    list_display = ("tenant", "last_date_mod", "last_polled_at", "last_error")
    readonly_fields = ("tenant", "last_date_mod", "last_polled_at", "last_error")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
