"""Admin actions that run a domain service on each selected row.

State changes from the admin go through the same services as everywhere else (never
`queryset.update()`), so validation and signals are identical. A refused transition is
reported per row and does not stop the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from kgc_erp.state_machine import InvalidTransition

_ModelT = TypeVar("_ModelT", bound=Model)


def apply_to_selected(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet[_ModelT],
    service: Callable[[_ModelT], Model],
    done_message: str,
) -> None:
    done = 0
    for obj in queryset:
        try:
            service(obj)
        except InvalidTransition as exc:
            modeladmin.message_user(request, f"{obj}: {exc}", level=messages.ERROR)
        else:
            done += 1
    if done:
        modeladmin.message_user(request, f"{done} tétel: {done_message}", level=messages.SUCCESS)


def transition_action(
    service: Callable[[_ModelT], Model], description: str, done_message: str
) -> Callable[[admin.ModelAdmin, HttpRequest, QuerySet[_ModelT]], None]:
    """Build an admin action (with its Hungarian label) that runs `service` per row."""

    def action(
        modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[_ModelT]
    ) -> None:
        apply_to_selected(modeladmin, request, queryset, service, done_message)

    action.__name__ = f"action_{service.__name__}"
    return admin.action(description=description)(action)
