"""The one extension point of a connector: its privacy handler.

A plugin declares ``privacy_handlers = {"<system>": "<dotted path of a class>"}`` in its
manifest. The class is instantiated without arguments and implements ``PrivacyHandler``:

- ``export(subject) -> dict``: what the system holds about the person, read live through
  its client (JSON-serialisable; it goes into the export ZIP as ``<system>.json``);
- ``erase(subject) -> Receipt``: delete or anonymise, THEN read back to verify (e.g. the
  contact lookup answers 404), and return the receipt. Transient failures are raised as the
  connector's typed ``TransientDeliveryError`` subclasses and retried by the event bus;
  an erase must be idempotent (a retry after a lost response finds nothing and says so).

The evidence of a receipt is shown to staff and kept: never put personal data in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol, runtime_checkable

from django.utils.module_loading import import_string

from kgc_erp.tenants.models import Tenant


@dataclass(frozen=True)
class PrivacySubject:
    """Who a step is about. Identifiers may be empty (a partner without e-mail, or a
    switched-off step run after the request completed and its identifiers were wiped):
    handlers then work from the partner id and their stored links."""

    tenant: Tenant
    partner_id: int | None
    phone: str = ""  # E.164
    email: str = ""  # lower case
    name: str = ""
    settings: Mapping[str, object] = field(default_factory=dict)
    request_id: int | None = None


@dataclass(frozen=True)
class Receipt:
    action: str  # PrivacyStep.Action value: deleted / anonymised / nothing_held
    evidence: str  # e.g. "DELETE /contacts/12 -> 200; GET /contacts/12 -> 404"
    external_id: str = ""


@runtime_checkable
class PrivacyHandler(Protocol):
    def export(self, subject: PrivacySubject) -> dict[str, Any]: ...

    def erase(self, subject: PrivacySubject) -> Receipt: ...


class VerificationFailed(Exception):
    """The erase ran but the read-back still finds the data: retried like any error."""


@cache
def load_handler(dotted_path: str) -> PrivacyHandler:
    handler_class = import_string(dotted_path)
    handler = handler_class()
    if not isinstance(handler, PrivacyHandler):
        raise TypeError(f"{dotted_path} does not implement PrivacyHandler (export, erase)")
    return handler


__all__ = ("PrivacyHandler", "PrivacySubject", "Receipt", "VerificationFailed", "load_handler")
