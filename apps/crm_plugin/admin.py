"""Admin: sync runs with progress, conflicts from Twenty, processed opportunities."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import SyncRun
from .twenty import admin as twenty_admin  # noqa: F401 - registers the connector's pages


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "phase", "progress", "calls", "records_sent",
                    "repaired", "started_at", "finished_at")  # fmt: skip
    list_filter = ("kind", "status")
    readonly_fields = tuple(f.name for f in SyncRun._meta.fields)

    @admin.display(description="haladás")
    def progress(self, obj: SyncRun) -> str:
        percent = obj.percent
        return f"{obj.done}/{obj.total} ({percent} %)" if percent is not None else f"{obj.done}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
