"""Admin of the Krayin connector's rows: the lead poll's cursor per Krayin instance."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import LeadPollCursor


@admin.register(LeadPollCursor)
class LeadPollCursorAdmin(admin.ModelAdmin):
    list_display = ("api_url", "cursor", "polled_at", "leads_seen")
    readonly_fields = ("instance_key", "api_url", "cursor", "polled_at", "leads_seen")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
