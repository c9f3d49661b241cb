"""Register our inbound endpoint as a webhook in the Twenty workspace (v2: on /metadata)."""

from __future__ import annotations

from typing import Any

from .client import TwentyClient

OPERATIONS: tuple[str, ...] = ("opportunity.created", "opportunity.updated", "person.updated")
DESCRIPTION = "KGC ERP (franchise opportunities, person edit conflicts)"


def ensure_webhook(client: TwentyClient, target_url: str, secret: str) -> dict[str, Any]:
    """Create the webhook, or bring an existing one for the same URL up to date.

    Twenty normalises the URL (`new URL().toString()`), so the comparison ignores a
    trailing slash. The secret is always (re)sent: it cannot be read back.
    """
    wanted = target_url.rstrip("/")
    for hook in client.list_webhooks():
        if str(hook.get("targetUrl") or "").rstrip("/") == wanted:
            return client.update_webhook(
                hook["id"], {"operations": list(OPERATIONS), "secret": secret}
            )
    return client.create_webhook({"targetUrl": target_url, "operations": list(OPERATIONS),
                                  "description": DESCRIPTION, "secret": secret})  # fmt: skip


__all__ = ("OPERATIONS", "ensure_webhook")
