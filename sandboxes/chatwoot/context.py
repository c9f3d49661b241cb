"""What every view receives: the runtime (store, dispatcher, faults), the parsed request
and the caller, plus the Rails-style parameter coercions views share."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from . import errors
from .auth import Principal
from .events import EventLog
from .faults import FaultInjector
from .state import Store
from .webhooks import WebhookDispatcher

# A view returns (status, JSON body) — body None means an empty body — or a Response.
Reply = tuple[int, Any] | Response


@dataclass
class Runtime:
    """Long-lived parts of one running sandbox."""

    store: Store
    dispatcher: WebhookDispatcher
    faults: FaultInjector
    stopping: threading.Event = field(default_factory=threading.Event)


@dataclass
class Ctx:
    runtime: Runtime
    request: Request
    params: dict[str, Any]  # Rails `params`: query string merged with the body
    args: dict[str, str]  # URL path parameters
    principal: Principal | None = None
    events: EventLog = field(default_factory=list)

    @property
    def store(self) -> Store:
        return self.runtime.store

    @property
    def me(self) -> Principal:
        """The authenticated Application API caller (set by the app before the view)."""
        if self.principal is None:  # pragma: no cover - routing guarantees it
            raise errors.not_signed_in()
        return self.principal

    def path_id(self, name: str) -> int:
        """``find(params[:id])``: a non-numeric id is simply not found."""
        value = as_int(self.args.get(name))
        if value is None:
            raise errors.not_found()
        return value


def as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def as_bool(value: Any) -> bool:
    """ActiveModel boolean cast (``"false"``, ``"0"``, ``""`` and nil are false)."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "f", "false", "off", "no")
    return bool(value)


def as_text(value: Any) -> str | None:
    """String column cast: nil stays nil, numbers become their text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        return None
    return str(value)


def wrapped(params: dict[str, Any], key: str, attributes: tuple[str, ...]) -> dict[str, Any]:
    """Rails ParamsWrapper + ``params.require(key)``: accept ``{key: {...}}`` or the flat
    model attributes; an empty result is ParameterMissing (422)."""
    nested = params.get(key)
    if isinstance(nested, dict):
        result = nested
    else:
        result = {name: params[name] for name in attributes if name in params}
    if not result:
        raise errors.param_missing(key)
    return result
