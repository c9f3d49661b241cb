"""Twenty CRM sandbox: a stateful, strict simulator of Twenty's /graphql and /metadata APIs.

Start it in-process with `sandboxes.twenty.server.start_sandbox()` or from the command line
with `python -m sandboxes.twenty --api-key KEY`.
"""
