"""Typed shapes of the control endpoints' answers, shared by control.py (which builds them)
and the SandboxHandle helpers (which return them to tests and the demo)."""

from __future__ import annotations

from typing import TypedDict

from sandboxes.glpi.faults import FaultDescription
from sandboxes.glpi.jsontypes import JsonValue


class SessionInfo(TypedDict):
    token: str
    users_id: int
    login: str
    profiles_id: int
    active_entity: int
    is_recursive: bool
    created_at: str
    idle_seconds: float
    expires_in: float


class ClockInfo(TypedDict):
    now: str
    offset_seconds: float


class ConfigInfo(TypedDict):
    api_enabled: bool
    credentials_login_enabled: bool
    allowed_ips: list[str]
    mandatory_ticket_fields: list[str]
    list_limit: int


class SandboxState(TypedDict):
    counts: dict[str, int]
    records: dict[str, list[dict[str, JsonValue]]]
    sessions: list[SessionInfo]
    init_session_calls: int
    kill_session_calls: int
    expired_sessions: int
    session_idle_seconds: float
    clock: ClockInfo
    config: ConfigInfo
    faults: FaultDescription | None
    faults_injected: int
    requests_logged: int


class FollowupResult(TypedDict):
    followup: dict[str, JsonValue]
    ticket: dict[str, JsonValue]
