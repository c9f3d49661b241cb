"""Admin of the Twenty connector's records: conflicts from hand edits."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import CrmConflict


@admin.register(CrmConflict)
class CrmConflictAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kgc_partner_id", "partner", "fields", "changed_by", "resolved")
    list_filter = ("resolved",)
    search_fields = ("kgc_partner_id", "person_id")
    readonly_fields = ("partner", "kgc_partner_id", "person_id", "fields", "remote_values",
                       "changed_by", "changed_at", "inbound_delivery_id", "created_at")  # fmt: skip
    actions = ("mark_resolved",)

    @admin.action(description="Megjelölés kezeltként")
    def mark_resolved(self, request: HttpRequest, queryset: QuerySet[CrmConflict]) -> None:
        count = queryset.update(resolved=True)
        self.message_user(request, f"{count} ütközés kezeltként megjelölve.")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
