"""Shape the dashboard's figures for unfold's Chart.js components.

A `Chart` carries its Chart.js `data` and `options` as JSON (the component puts them in
`data-` attributes of a canvas) and the links to the admin lists its numbers come from,
filtered the same way, so every bar has a place to click through to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django.db.models import TextChoices
from django.urls import reverse
from django.utils.timesince import timesince

from apps.plugin_manager.eventbus.models import Delivery, InboundDelivery
from apps.plugin_manager.models import PluginActionRun
from apps.plugin_manager.overview import scope_key
from apps.plugin_manager.status import HealthStatus

from .figures import Backlog, FailureReason

# One colour per status, the same on every chart: green done, amber waiting, red failed.
GREEN, AMBER, RED, DARK_RED, GREY, BLUE = (
    "#16a34a", "#f59e0b", "#dc2626", "#7f1d1d", "#9ca3af", "#2563eb")  # fmt: skip
DELIVERY_COLOURS = {"pending": AMBER, "succeeded": GREEN, "dead": RED, "skipped": GREY}
INBOUND_COLOURS = {
    "received": AMBER, "processed": GREEN, "ignored": GREY, "failed": RED, "refused": DARK_RED,
}  # fmt: skip
HEALTH_COLOURS = {
    "healthy": GREEN, "degraded": AMBER, "down": RED, "disabled": GREY, "unknown": BLUE,
}  # fmt: skip

_LEGEND = {"display": True, "position": "bottom",
           "labels": {"boxWidth": 10, "boxHeight": 10, "color": "#6b7280"}}  # fmt: skip
STACKED_OPTIONS = {
    "animation": False, "responsive": True, "maintainAspectRatio": False,
    "plugins": {"legend": _LEGEND},
    "scales": {"x": {"stacked": True}, "y": {"stacked": True, "beginAtZero": True,
                                            "ticks": {"precision": 0}}},
}  # fmt: skip
LINE_OPTIONS = {
    "animation": False, "responsive": True, "maintainAspectRatio": False,
    "plugins": {"legend": _LEGEND},
    "scales": {"y": {"beginAtZero": True, "ticks": {"precision": 0}}},
}  # fmt: skip
HORIZONTAL_OPTIONS = {
    "animation": False, "responsive": True, "maintainAspectRatio": False, "indexAxis": "y",
    "plugins": {"legend": {"display": False}},
    "scales": {"x": {"beginAtZero": True, "ticks": {"precision": 0}}},
}  # fmt: skip


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Chart:
    key: str  # stable, for the page's data-chart attribute (and the tests)
    title: str
    kind: Literal["bar", "line"]
    data: str
    options: str
    links: tuple[Link, ...] = ()
    notes: tuple[str, ...] = ()
    empty: bool = False
    tall: bool = False


def admin_list(url_name: str, **params: str) -> str:
    url = reverse(f"admin:{url_name}")
    return f"{url}?{urlencode(params)}" if params else url


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False)


def _series(
    categories: Sequence[Any],
    choices: type[TextChoices],
    colours: Mapping[str, str],
    count: Mapping[tuple[Any, str], int],
    *,
    line: bool = False,
) -> list[dict[str, Any]]:
    datasets = []
    for value, label in choices.choices:
        values = [count.get((category, value), 0) for category in categories]
        dataset: dict[str, Any] = {"label": str(label), "data": values}
        if line:
            dataset.update(borderColor=colours[value], backgroundColor=colours[value],
                           tension=0.25, pointRadius=2)  # fmt: skip
        else:
            dataset.update(backgroundColor=colours[value], maxBarThickness=28)
        datasets.append(dataset)
    return datasets


def hour_labels(hours: Iterable[datetime]) -> list[str]:
    return [f"{hour:%H}:00" for hour in hours]


def deliveries_per_hour(counts: Mapping[tuple[datetime, str], int],
                        hours: Sequence[datetime]) -> Chart:
    datasets = _series(hours, Delivery.Status, DELIVERY_COLOURS, counts, line=True)
    links = tuple(
        Link(str(label), admin_list("eventbus_delivery_changelist", status__exact=value))
        for value, label in Delivery.Status.choices
    )
    return Chart("deliveries-per-hour", "Kézbesítések óránként (utolsó 24 óra)", "line",
                 _json({"labels": hour_labels(hours), "datasets": datasets}),
                 _json(LINE_OPTIONS), links, empty=not counts)  # fmt: skip


def deliveries_per_subscriber(counts: Mapping[tuple[str, str], int]) -> Chart:
    subscribers = sorted({subscriber for subscriber, _ in counts})
    datasets = _series(subscribers, Delivery.Status, DELIVERY_COLOURS, counts)
    links: list[Link] = []
    for subscriber in subscribers:
        links.append(Link(subscriber, admin_list("eventbus_delivery_changelist",
                                                 subscriber=subscriber)))  # fmt: skip
        dead = counts.get((subscriber, Delivery.Status.DEAD), 0)
        if dead:
            links.append(Link(f"{subscriber}: {dead} halott", admin_list(
                "eventbus_delivery_changelist", status__exact="dead", subscriber=subscriber)))
    return Chart("deliveries-per-subscriber", "Kézbesítések rendszerenként (utolsó 24 óra)",
                 "bar", _json({"labels": subscribers, "datasets": datasets}),
                 _json(STACKED_OPTIONS), tuple(links), empty=not counts)  # fmt: skip


def backlog(rows: Sequence[Backlog]) -> Chart:
    data = {
        "labels": [row.subscriber for row in rows],
        "datasets": [{"label": "Várakozik", "data": [row.pending for row in rows],
                      "backgroundColor": AMBER, "maxBarThickness": 28}],
    }  # fmt: skip
    links = tuple(
        Link(f"{row.subscriber}: {row.pending} várakozik",
             admin_list("eventbus_delivery_changelist", status__exact="pending",
                        subscriber=row.subscriber))
        for row in rows
    )  # fmt: skip
    notes = tuple(
        f"{row.subscriber}: a legrégebbi várakozó kora {timesince(row.oldest_pending_at)}"
        for row in rows
    )
    return Chart("backlog", "Várakozó kézbesítések és a legrégebbi kora", "bar", _json(data),
                 _json(STACKED_OPTIONS), links, notes, empty=not rows)  # fmt: skip


def failure_reasons(rows: Sequence[FailureReason]) -> Chart:
    labels = [f"{row.subscriber}: {_shorten(row.reason, 60)}" for row in rows]
    data = {
        "labels": labels,
        "datasets": [{"label": "Kézbesítések", "data": [row.count for row in rows],
                      "backgroundColor": RED, "maxBarThickness": 18}],
    }  # fmt: skip
    links = tuple(
        Link(f"{label} ({row.count})",
             admin_list("eventbus_delivery_changelist", subscriber=row.subscriber,
                        last_error__startswith=row.reason))
        for label, row in zip(labels, rows, strict=True)
    )  # fmt: skip
    return Chart("failure-reasons", "Hibák okuk szerint (10 leggyakoribb)", "bar", _json(data),
                 _json(HORIZONTAL_OPTIONS), links, empty=not rows, tall=True)  # fmt: skip


def inbound_per_source(counts: Mapping[tuple[str, str], int]) -> Chart:
    sources = sorted({source for source, _ in counts})
    datasets = _series(sources, InboundDelivery.Status, INBOUND_COLOURS, counts)
    links: list[Link] = []
    for source in sources:
        links.append(Link(source, admin_list("eventbus_inbounddelivery_changelist",
                                             source__exact=source)))  # fmt: skip
        for status in (InboundDelivery.Status.FAILED, InboundDelivery.Status.REFUSED):
            if counts.get((source, status)):
                links.append(Link(f"{source}: {status.label.lower()}", admin_list(
                    "eventbus_inbounddelivery_changelist", source__exact=source,
                    status__exact=status.value)))  # fmt: skip
    return Chart("inbound-per-source", "Bejövő webhookok forrás és eredmény szerint "
                 "(utolsó 24 óra)", "bar", _json({"labels": sources, "datasets": datasets}),
                 _json(STACKED_OPTIONS), tuple(links), empty=not counts)  # fmt: skip


def run_percent(run: PluginActionRun) -> int:
    if run.status == PluginActionRun.Status.SUCCEEDED:
        return 100
    return run.percent or 0


def action_runs(runs: Sequence[PluginActionRun]) -> Chart:
    labels = [f"#{run.pk} {run.plugin_id}: {run.action} ({run.get_status_display()})"
              for run in runs]  # fmt: skip
    colours = {"queued": GREY, "running": BLUE, "succeeded": GREEN, "failed": RED}
    data = {
        "labels": labels,
        "datasets": [{"label": "Haladás (%)", "data": [run_percent(run) for run in runs],
                      "backgroundColor": [colours[run.status] for run in runs],
                      "maxBarThickness": 18}],
    }  # fmt: skip
    options = {**HORIZONTAL_OPTIONS,
               "scales": {"x": {"beginAtZero": True, "max": 100}}}  # fmt: skip
    links = tuple(
        Link(f"{label} — {run.progress_current}"
             f"{f' / {run.progress_total}' if run.progress_total is not None else ''}",
             reverse("admin:plugin_manager_scope",
                     args=(run.plugin_id, scope_key(run.tenant))))
        for label, run in zip(labels, runs, strict=True)
    )  # fmt: skip
    links += (Link("Összes futó művelet", admin_list(
        "plugin_manager_pluginactionrun_changelist", status__exact="running")),)
    return Chart("action-runs", "Szinkronizálások és műveletek haladása", "bar", _json(data),
                 _json(options), links, empty=not runs, tall=True)  # fmt: skip


def health_history(plugin_id: str, plugin_name: str,
                   counts: Mapping[tuple[str, datetime, str], int],
                   hours: Sequence[datetime]) -> Chart:
    own = {(hour, status): n for (pid, hour, status), n in counts.items() if pid == plugin_id}
    datasets = _series(hours, HealthStatus, HEALTH_COLOURS, own)
    links = (
        Link("Összes ellenőrzés", admin_list("plugin_manager_healthcheckrecord_changelist",
                                             plugin_id__exact=plugin_id)),
        Link("Nem elérhető", admin_list("plugin_manager_healthcheckrecord_changelist",
                                        plugin_id__exact=plugin_id, status__exact="down")),
    )  # fmt: skip
    return Chart(f"health-{plugin_id}", f"Állapot-előzmények: {plugin_name} (utolsó 24 óra)",
                 "bar", _json({"labels": hour_labels(hours), "datasets": datasets}),
                 _json(STACKED_OPTIONS), links, empty=not own)  # fmt: skip


def _shorten(text: str, length: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else f"{text[: length - 1]}…"
