"""Krayin CRM sandbox: a stateful, strict simulator of krayin/rest-api's /api/v1 endpoints.

Start it in-process with `sandboxes.krayin.server.start_sandbox()` or from the command line
with `python -m sandboxes.krayin --email admin@example.com --password secret`.
"""
