"""Connecting tenants to Chatwoot.

* ``connect_tenant``: point a tenant at an existing account (the demo, a hand-made setup):
  stores the plugin settings for that tenant and switches the plugin on there.
* ``bootstrap_franchise``: for a franchise store with support enabled and a Platform API
  key configured, create its own account, an integration (administrator) user, an API
  inbox for notifications, an account webhook (with its secret) to our inbox URL, the
  agents' dashboard app and the website chat widget inbox.
  Every step first looks for what an earlier run created, and every id is saved as soon
  as it is known, so running it twice (or again after a failure) yields one of each.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.contrib.auth.models import User

from apps.plugin_manager.services import set_enabled, update_settings
from kgc_erp.tenants.models import Tenant

from .client import ChatwootClient, Connection, PlatformClient
from .config import PLUGIN_ID, settings_for
from .dashboard import dashboard_token
from .models import ChatwootAccount

log = logging.getLogger("support_plugin.chatwoot.accounts")

INBOX_NAME = "KGC értesítések"
WIDGET_INBOX_NAME = "KGC weboldal"
DASHBOARD_APP_TITLE = "KGC ügyféladatok"
WEBHOOK_NAME = "KGC ERP"
WEBHOOK_EVENTS = (
    "conversation_created",
    "conversation_status_changed",
    "contact_created",
    "contact_updated",
    "message_created",
    # Kokó's feedback: a custom attribute (conversation_updated) and CSAT (message_updated).
    "conversation_updated",
    "message_updated",
)


class BootstrapError(Exception):
    """The tenant cannot be bootstrapped (not a franchise, no Platform API key ...)."""


def webhook_url(tenant: Tenant, base_url: str | None = None) -> str:
    base = (base_url or django_settings.PUBLIC_BASE_URL).rstrip("/")
    return f"{base}/webhooks/chatwoot/{tenant.slug}/"


def dashboard_url(tenant: Tenant, account_id: int | None, base_url: str | None = None) -> str:
    base = (base_url or django_settings.PUBLIC_BASE_URL).rstrip("/")
    token = dashboard_token(tenant, account_id)
    return f"{base}/support/chatwoot/dashboard/{tenant.slug}/?{urlencode({'token': token})}"


def register_dashboard_app(tenant: Tenant, *, base_url: str | None = None) -> int:
    """Register (once) the agents' context panel as a dashboard app in the tenant's
    account; returns its id. The URL carries the tenant's signed token."""
    config = settings_for(tenant)
    client = config.client()
    url = dashboard_url(tenant, config.account_id, base_url)
    existing = next((app for app in client.list_dashboard_apps()
                     if app.get("title") == DASHBOARD_APP_TITLE
                     and any(c.get("url") == url for c in app.get("content") or [])), None)
    app = existing or client.create_dashboard_app(DASHBOARD_APP_TITLE, url)
    account = ChatwootAccount.objects.filter(tenant=tenant).first()
    if account is not None and account.dashboard_app_id != int(app["id"]):
        account.dashboard_app_id = int(app["id"])
        account.save(update_fields=["dashboard_app_id", "updated_at"])
    return int(app["id"])


def connect_tenant(tenant: Tenant, api_url: str, api_token: str, account_id: int,
                   inbox_id: int | None = None, webhook_secret: str = "", *,
                   enable: bool = True, user: User | None = None) -> None:
    """Store the tenant's Chatwoot settings (secrets encrypted by the plugin manager) and
    switch the plugin on for it."""
    changes: dict[str, object] = {
        "chatwoot_api_url": api_url,
        "chatwoot_api_key": api_token,
        "chatwoot_account_id": int(account_id),
    }
    if inbox_id is not None:
        changes["chatwoot_inbox_id"] = int(inbox_id)
    if webhook_secret:
        changes["chatwoot_webhook_secret"] = webhook_secret
    update_settings(PLUGIN_ID, tenant, changes, user=user)
    if enable:
        set_enabled(PLUGIN_ID, tenant, True, user=user)


def _integration_email(tenant: Tenant) -> str:
    domain = getattr(django_settings, "CHATWOOT_INTEGRATION_EMAIL_DOMAIN", "kgc-erp.invalid")
    return f"chatwoot-{tenant.slug}@{domain}"


def _password() -> str:
    # Chatwoot's rule: 6-128 chars with upper, lower, digit and special (NOTES §9). Nobody
    # logs in with it: the integration uses the user's access token.
    return secrets.token_urlsafe(24) + "Aa1!"


def ensure_notification_inbox(client: ChatwootClient) -> dict[str, object]:
    """The account's API inbox for notification conversations (found by name, else made)."""
    existing = next((i for i in client.list_inboxes()
                     if i.get("name") == INBOX_NAME and i.get("channel_type") == "Channel::Api"),
                    None)
    return existing or client.create_api_inbox(INBOX_NAME)


def ensure_widget(tenant: Tenant, client: ChatwootClient, base_url: str | None = None) -> None:
    """The website chat inbox, with its ``website_token`` and ``hmac_token`` (identity
    validation, NOTES §11) stored for the ``chatwoot_widget`` template tag."""
    existing = next((i for i in client.list_inboxes()
                     if i.get("name") == WIDGET_INBOX_NAME
                     and i.get("channel_type") == "Channel::WebWidget"), None)
    website = (base_url or django_settings.PUBLIC_BASE_URL).rstrip("/")
    inbox = existing or client.create_web_widget_inbox(WIDGET_INBOX_NAME, website)
    account, _ = ChatwootAccount.objects.get_or_create(tenant=tenant)
    account.widget_website_token = str(inbox.get("website_token") or "")
    account.widget_hmac_token = str(inbox.get("hmac_token") or "")
    account.save(update_fields=["widget_website_token", "widget_hmac_token_encrypted",
                                "updated_at"])


def ensure_webhook(client: ChatwootClient, url: str) -> dict[str, object]:
    """The account webhook to ``url`` (URLs are unique per account in Chatwoot); its
    ``secret`` is generated by Chatwoot and returned in the list and create answers."""
    existing = next((h for h in client.list_webhooks() if h.get("url") == url), None)
    return existing or client.create_webhook(url, WEBHOOK_EVENTS, name=WEBHOOK_NAME)


def wire_connected_account(tenant: Tenant, *, base_url: str | None = None) -> None:
    """For a tenant already connected to an account (``connect_tenant``, with an
    administrator token): make sure the notification inbox, the webhook to our inbox URL and
    the dashboard app exist, and store the inbox id and webhook secret in its settings.
    Idempotent; this is what the demo setup calls after ``connect_tenant``."""
    client = settings_for(tenant).client()
    inbox = ensure_notification_inbox(client)
    hook = ensure_webhook(client, webhook_url(tenant, base_url))
    update_settings(PLUGIN_ID, tenant, {"chatwoot_inbox_id": int(str(inbox["id"])),
                                        "chatwoot_webhook_secret": str(hook.get("secret") or "")})
    register_dashboard_app(tenant, base_url=base_url)
    ensure_widget(tenant, client, base_url)


def bootstrap_franchise(tenant: Tenant, *, base_url: str | None = None) -> ChatwootAccount:
    if tenant.kind != Tenant.Kind.FRANCHISE:
        raise BootstrapError(f"{tenant.slug} is not a franchise tenant")
    config = settings_for(tenant)
    if not config.platform_token or not config.api_url:
        raise BootstrapError("Chatwoot API URL or Platform API key is not configured")
    platform = PlatformClient(config.api_url, config.platform_token, config.timeout)
    account, _ = ChatwootAccount.objects.get_or_create(tenant=tenant)

    if account.account_id is None:
        created = platform.create_account(f"KGC – {tenant.name}",
                                          custom_attributes={"kgc_tenant": tenant.slug})
        account.account_id = int(created["id"])
        account.save(update_fields=["account_id", "updated_at"])
        log.info("chatwoot.bootstrap.account tenant=%s account=%s", tenant.slug,
                 account.account_id)

    if account.agent_user_id is None or not account.api_token_encrypted:
        # Platform users are found-or-created by e-mail, so a rerun reuses the user.
        user = platform.create_user(name=f"KGC ERP ({tenant.name})",
                                    email=_integration_email(tenant), password=_password())
        account.agent_user_id = int(user["id"])
        account.agent_email = str(user.get("email") or _integration_email(tenant))
        account.api_token = str(user["access_token"])
        account.save(update_fields=["agent_user_id", "agent_email", "api_token_encrypted",
                                    "updated_at"])
    # Find-or-create on Chatwoot's side: idempotent by itself.
    platform.add_account_user(account.account_id, account.agent_user_id, "administrator")

    client = ChatwootClient(Connection(config.api_url, account.api_token, account.account_id,
                                       config.timeout))
    if account.inbox_id is None:
        account.inbox_id = int(str(ensure_notification_inbox(client)["id"]))
        account.save(update_fields=["inbox_id", "updated_at"])

    url = webhook_url(tenant, base_url)
    if account.webhook_id is None or account.webhook_url != url or not account.webhook_secret:
        hook = ensure_webhook(client, url)
        account.webhook_id = int(str(hook["id"]))
        account.webhook_url = url
        account.webhook_secret = str(hook.get("secret") or "")
        account.save(update_fields=["webhook_id", "webhook_url", "webhook_secret_encrypted",
                                    "updated_at"])
    register_dashboard_app(tenant, base_url=base_url)
    ensure_widget(tenant, client, base_url)
    account.refresh_from_db()
    log.info("chatwoot.bootstrap.done tenant=%s account=%s inbox=%s webhook=%s", tenant.slug,
             account.account_id, account.inbox_id, account.webhook_id)
    return account


__all__ = (
    "BootstrapError",
    "bootstrap_franchise",
    "connect_tenant",
    "dashboard_url",
    "ensure_notification_inbox",
    "ensure_webhook",
    "ensure_widget",
    "register_dashboard_app",
    "webhook_url",
    "wire_connected_account",
)
