"""Start-up options (fixed for a sandbox's life) and runtime switches (changed by tests).

The runtime switches are the GLPI setup screens a test would otherwise click through:
"Enable Rest API", "Enable login with credentials", the API client's IP range, and the
ticket template's mandatory fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandboxes.glpi.reports import ConfigInfo

DEFAULT_SESSION_IDLE_SECONDS = 1440.0  # PHP's session.gc_maxlifetime default
DEFAULT_LIST_LIMIT = 15  # GLPI's default `list_limit` preference


@dataclass(frozen=True)
class SandboxOptions:
    app_token: str | None = None
    """None = the API client has no app token (then none is required)."""
    user_token: str = "sandbox-user-token"
    """The API user's "Remote access key"."""
    session_idle_seconds: float = DEFAULT_SESSION_IDLE_SECONDS
    api_user_login: str = "kgc-erp"
    api_user_id: int = 31
    technician_user_id: int = 4
    """Who writes control-endpoint changes ("as a technician in the GLPI UI")."""


@dataclass
class RuntimeConfig:
    api_enabled: bool = True
    credentials_login_enabled: bool = False
    allowed_ips: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    mandatory_ticket_fields: list[str] = field(default_factory=list)
    """Ticket template mandatory fields (column names), e.g. ["itilcategories_id"]."""
    list_limit: int = DEFAULT_LIST_LIMIT

    def as_dict(self) -> ConfigInfo:
        return {
            "api_enabled": self.api_enabled,
            "credentials_login_enabled": self.credentials_login_enabled,
            "allowed_ips": list(self.allowed_ips),
            "mandatory_ticket_fields": list(self.mandatory_ticket_fields),
            "list_limit": self.list_limit,
        }
