"""GLPI sandbox: a stateful, strict simulator of GLPI 10's legacy REST API (`apirest.php`).

Start it in-process with `sandboxes.glpi.server.start_sandbox()` or from the command line
with `python -m sandboxes.glpi --app-token X --user-token Y`.
"""

from sandboxes.glpi.server import SandboxHandle, start_sandbox

__all__ = ["SandboxHandle", "start_sandbox"]
