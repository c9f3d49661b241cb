"""Admin: sync runs with progress, conflicts from Twenty, processed opportunities."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from kgc_erp.partners.models import Partner

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


@admin.action(description="GDPR export a Twenty CRM-ből (JSON)")
def gdpr_export_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Partner]
) -> HttpResponse | None:
    from .twenty.errors import TwentyError
    from .twenty.gdpr_export import export_partner
    from .twenty.tasks import global_client

    try:
        with global_client() as client:
            documents = [export_partner(client, p.pk) for p in queryset[:50]]
    except TwentyError as exc:
        modeladmin.message_user(request, f"A Twenty CRM nem elérhető: {exc.message}",
                                messages.ERROR)  # fmt: skip
        return None
    body = json.dumps(documents[0] if len(documents) == 1 else documents,
                      ensure_ascii=False, indent=2)  # fmt: skip
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="twenty-gdpr-export.json"'
    return response


def _register_partner_action() -> None:
    """Add the export to the core Partner admin without core importing the plugin."""
    partner_admin = admin.site._registry.get(Partner)
    if partner_admin is not None and gdpr_export_action not in (partner_admin.actions or ()):
        partner_admin.actions = (*(partner_admin.actions or ()), gdpr_export_action)


_register_partner_action()
