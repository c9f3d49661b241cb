from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest
from unfold.admin import ModelAdmin, TabularInline

from kgc_erp.admin_transitions import transition_action
from kgc_erp.hungarian.amounts import amount_column
from kgc_erp.tenants.admin_scoping import TenantScopedAdminMixin, staff_user

from .models import Appointment, Worklog, WorklogTimelineEntry
from .services import change_worklog_status, open_worklog

Status = Worklog.Status


def _to(status: str) -> Callable[[Worklog], Worklog]:
    def service(worklog: Worklog) -> Worklog:
        return change_worklog_status(worklog, new_status=status)

    service.__name__ = f"to_{status}"
    return service


class TimelineInline(TabularInline):
    model = WorklogTimelineEntry
    fields = ("created_at", "source", "text", "author")
    readonly_fields = fields
    extra = 0
    can_delete = False
    max_num = 0


@admin.register(Worklog)
class WorklogAdmin(TenantScopedAdminMixin[Worklog], ModelAdmin):
    list_display = (
        "number",
        "partner",
        "machine_type",
        "status",
        amount_column("quote_amount", "árajánlat"),
        "estimated_completion",
        "source",
        "tenant",
    )
    list_filter = ("status", "source", "tenant")
    search_fields = ("number", "partner__name", "partner__phone", "machine_type")
    autocomplete_fields = ("partner",)
    list_select_related = ("partner", "tenant")
    inlines = (TimelineInline,)
    actions = (
        transition_action(_to(Status.DIAGNOSIS), "Diagnosztika megkezdése", "diagnosztikán"),
        transition_action(_to(Status.QUOTE), "Árajánlat kiküldése", "árajánlat kiküldve"),
        transition_action(_to(Status.REPAIR), "Javítás megkezdése", "javítás alatt"),
        transition_action(_to(Status.DONE), "Elkészült, átvehető", "elkészült"),
        transition_action(_to(Status.HANDED_OVER), "Átadva az ügyfélnek", "átadva"),
    )

    def get_readonly_fields(
        self, request: HttpRequest, obj: Worklog | None = None
    ) -> tuple[str, ...]:
        system = ("number", "tenant", "status", "quote_accepted", "completed_at", "source")
        return system if obj is None else (*system, "partner")

    def save_model(
        self, request: HttpRequest, obj: Worklog, form: ModelForm[Worklog], change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
        else:
            open_worklog(obj, author=staff_user(request))


@admin.register(Appointment)
class AppointmentAdmin(TenantScopedAdminMixin[Appointment], ModelAdmin):
    list_display = ("starts_at", "partner", "worklog", "tenant")
    list_filter = ("tenant",)
    search_fields = ("partner__name", "partner__phone")
    autocomplete_fields = ("partner", "worklog")
    date_hierarchy = "starts_at"
