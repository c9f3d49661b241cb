"""Worklog (munkalap) use cases: opening, the status workflow and the timeline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypedDict

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from kgc_erp.numbering.sequences import WORKLOG_PREFIX, allocate_number
from kgc_erp.state_machine import InvalidTransition, ensure_transition

from .models import Worklog, WorklogTimelineEntry
from .signals import worklog_status_changed

Status = Worklog.Status
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.DIAGNOSIS}),
    Status.DIAGNOSIS: frozenset({Status.QUOTE, Status.REPAIR}),
    # From a quote: accepted -> repair; declined -> done (the machine goes back unrepaired).
    Status.QUOTE: frozenset({Status.REPAIR, Status.DONE}),
    Status.REPAIR: frozenset({Status.DONE}),
    Status.DONE: frozenset({Status.HANDED_OVER}),
    Status.HANDED_OVER: frozenset(),
}
LABELS = dict(Status.choices)


class WorklogChanges(TypedDict, total=False):
    """The optional keyword arguments of `change_worklog_status`."""

    quote_amount: Decimal | None
    repair_cost: Decimal | None
    estimated_completion: date | None
    technician_notes: str | None
    author: User | None


@transaction.atomic
def open_worklog(worklog: Worklog, author: User | None = None) -> Worklog:
    """Save a new worklog as received and give it its number."""
    if worklog.pk is not None:
        raise InvalidTransition("Ez a munkalap már rögzítve van.")
    worklog.tenant_id = worklog.partner.tenant_id
    worklog.status = Status.RECEIVED
    worklog.number = allocate_number(WORKLOG_PREFIX, timezone.localdate())
    worklog.save()
    add_timeline_entry(
        worklog, f"Munkalap felvéve ({worklog.get_source_display()}).", author=author
    )
    return worklog


def add_timeline_entry(
    worklog: Worklog, text: str, source: str = "erp", author: User | None = None
) -> WorklogTimelineEntry:
    return WorklogTimelineEntry.objects.create(
        worklog=worklog, text=text, source=source, author=author
    )


@transaction.atomic
def change_worklog_status(
    worklog: Worklog,
    new_status: str,
    *,
    quote_amount: Decimal | None = None,
    repair_cost: Decimal | None = None,
    estimated_completion: date | None = None,
    technician_notes: str | None = None,
    author: User | None = None,
) -> Worklog:
    """Move a worklog one step along its workflow, validating the step and its data."""
    worklog = Worklog.objects.select_for_update().get(pk=worklog.pk)
    old_status = worklog.status
    ensure_transition(ALLOWED_TRANSITIONS, old_status, new_status, LABELS)

    changes: dict[str, object] = {
        "quote_amount": quote_amount,
        "repair_cost": repair_cost,
        "estimated_completion": estimated_completion,
        "technician_notes": technician_notes,
    }
    for field, value in changes.items():
        if value is not None:
            setattr(worklog, field, value)

    if new_status == Status.QUOTE and not worklog.quote_amount:
        raise InvalidTransition("Árajánlathoz meg kell adni az ajánlott összeget.")
    if old_status == Status.QUOTE:
        worklog.quote_accepted = new_status == Status.REPAIR
    if new_status == Status.DONE:
        worklog.completed_at = timezone.now()

    worklog.status = new_status
    worklog.save()
    add_timeline_entry(
        worklog, f"Állapot: {LABELS[old_status]} → {LABELS[new_status]}", author=author
    )
    worklog_status_changed.send(
        sender=Worklog, worklog=worklog, old_status=old_status, new_status=new_status
    )
    return worklog
