"""django-celery-beat's admin with Hungarian column and field labels.

Its model properties and admin methods (`scheduler`, `crontab_translation`,
`human_readable`) and the task field's verbose name are plain English strings that no
translation catalogue can reach, so the admins are re-registered here with labels.
Everything else (models, forms, actions) stays the package's own.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Field, Model
from django.http import HttpRequest
from django_celery_beat.admin import CrontabScheduleAdmin, PeriodicTaskAdmin
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from .cron import describe_crontab


class TaskNameFilter(admin.AllValuesFieldListFilter):
    def __init__(
        self, field: Field[Any, Any], request: HttpRequest, params: dict[str, str],
        model: type[Model], model_admin: admin.ModelAdmin[Any], field_path: str,
    ) -> None:  # fmt: skip
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = "feladat neve"


class HungarianPeriodicTaskAdmin(PeriodicTaskAdmin):
    list_filter = ["enabled", "one_off", ("task", TaskNameFilter), "start_time", "last_run_at"]

    @admin.display(description="ütemezés")
    def scheduler(self, obj: PeriodicTask) -> object:
        return obj.scheduler

    @admin.display(description="cron-ütemezés szövegesen")
    def crontab_translation(self, obj: PeriodicTask) -> str:
        return describe_crontab(obj.crontab) if obj.crontab else "–"

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:  # fmt: skip
        # The form's script shows the chosen crontab's description from this mapping.
        response = super().changeform_view(request, object_id, form_url, extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "readable_crontabs" in context:
            context["readable_crontabs"] = {
                crontab.pk: describe_crontab(crontab) for crontab in CrontabSchedule.objects.all()
            }
        return response


class HungarianCrontabScheduleAdmin(CrontabScheduleAdmin):
    @admin.display(description="szövegesen")
    def human_readable(self, obj: CrontabSchedule) -> str:
        return describe_crontab(obj)


admin.site.unregister(PeriodicTask)
admin.site.register(PeriodicTask, HungarianPeriodicTaskAdmin)
admin.site.unregister(CrontabSchedule)
admin.site.register(CrontabSchedule, HungarianCrontabScheduleAdmin)
