"""Chatwoot sandbox: a stateful, strict simulator of the Chatwoot API and its webhooks.

It follows the shared folder's contracts/chatwoot (NOTES.md wins over swagger.json) and accepts
nothing the real system would reject. Start it from tests with ``start_sandbox()`` or from
a shell with ``python -m sandboxes.chatwoot``.
"""

from .config import SandboxConfig
from .server import SandboxHandle, build_sandbox, start_sandbox
from .webhooks import signature

__all__ = ["SandboxConfig", "SandboxHandle", "build_sandbox", "signature", "start_sandbox"]
