"""Start-up options of the Chatwoot sandbox (what a real installation would be configured with)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SandboxConfig:
    """Seed data and behaviour switches.

    The seed mirrors a freshly installed self-hosted Chatwoot: one account, one administrator
    whose personal access token is ``api_token``, and one Platform App whose token is
    ``platform_token``.
    """

    api_token: str = "sandbox-api-token"
    platform_token: str = "sandbox-platform-token"
    account_id: int = 1
    account_name: str = "KGC Sandbox"
    admin_name: str = "Sandbox Admin"
    admin_email: str = "admin@sandbox.test"
    # Chatwoot's WEBHOOK_TIMEOUT installation config (open + read timeout), default 5 s.
    webhook_timeout: float = 5.0
    # Rails/Puma read `api_access_token` (underscore) headers; nginx in front drops them by
    # default (`underscores_in_headers off`). Set False to reproduce that deployment.
    accept_underscore_headers: bool = True
    # A Platform App may only touch records it created or was granted. A super admin usually
    # grants the pre-existing account; set False to see "Non permissible resource" instead.
    platform_app_owns_seed_account: bool = True
