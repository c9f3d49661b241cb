"""Gamma's subscriber: POST the current state of the event's object to the target URL."""

from __future__ import annotations

import requests

from apps.plugin_manager.eventbus.errors import (
    PermanentDeliveryError,
    TransientDeliveryError,
    classify_http_status,
)
from apps.plugin_manager.eventbus.outbox.context import DeliveryContext

_session = requests.Session()


def _state(context: DeliveryContext) -> dict[str, object] | None:
    obj = context.load_object()
    if obj is None:
        return None
    return {"id": obj.pk, "name": getattr(obj, "name", None) or str(obj)}


def _delivery_error(exc: requests.RequestException) -> Exception:
    """The error a `requests` exception stands for: network trouble is transient."""
    if isinstance(exc, requests.Timeout):
        return TransientDeliveryError(f"timeout: {exc}")
    if isinstance(exc, requests.ConnectionError):
        return TransientDeliveryError(f"connection error: {exc}")
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return PermanentDeliveryError(f"invalid URL: {exc}")
    return TransientDeliveryError(f"{type(exc).__name__}: {exc}")


def push_state(context: DeliveryContext) -> None:
    body = {
        "event_id": str(context.event.uuid),
        "event_pk": context.event.pk,
        "type": context.event_type,
        "object_type": context.object_type,
        "object_id": context.object_id,
        "tenant_id": context.tenant.pk,
        "attempt": context.attempt,
        "state": _state(context),
    }
    timeout = int(context.settings.get("timeout_ms") or 2000) / 1000
    try:
        response = _session.post(
            str(context.settings["target_url"]),
            json=body,
            headers={"Idempotency-Key": context.idempotency_key},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise _delivery_error(exc) from exc
    error = classify_http_status(response.status_code, response.headers.get("Retry-After"))
    if error is not None:
        raise error
