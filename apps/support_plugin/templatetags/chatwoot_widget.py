"""``{% chatwoot_widget partner %}``: the Chatwoot web widget for a known customer, with
``identifier_hash`` (NOTES §11) so Chatwoot trusts who they are. Renders nothing when the
tenant has no widget inbox configured or the plugin is off there."""

from __future__ import annotations

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from apps.plugin_manager.runtime import is_enabled
from kgc_erp.partners.models import Partner

from ..chatwoot import mappers
from ..chatwoot.config import PLUGIN_ID, settings_for
from ..chatwoot.identity import identifier_hash
from ..chatwoot.models import ChatwootAccount

register = template.Library()


def widget_settings(partner: Partner) -> dict[str, object] | None:
    tenant = partner.tenant
    if not is_enabled(PLUGIN_ID, tenant.pk):
        return None
    account = ChatwootAccount.objects.filter(tenant=tenant).first()
    if account is None or not account.widget_website_token or not account.widget_hmac_token:
        return None
    identifier = mappers.identifier_for(partner)
    return {
        "baseUrl": settings_for(tenant).api_url.rstrip("/"),
        "websiteToken": account.widget_website_token,
        "identifier": identifier,
        "user": {
            "name": partner.name,
            "email": partner.email or None,
            "identifier_hash": identifier_hash(account.widget_hmac_token, identifier),
        },
    }


@register.simple_tag
def chatwoot_widget(partner: Partner) -> SafeString:
    config = widget_settings(partner)
    if config is None:
        return mark_safe("")
    data = json_script(config, "kgc-chatwoot-widget")
    script = (
        "<script>(function(){var c=JSON.parse(document.getElementById('kgc-chatwoot-widget')"
        ".textContent);window.addEventListener('chatwoot:ready',function(){"
        "window.$chatwoot.setUser(c.identifier,c.user);});var s=document.createElement('script');"
        "s.src=c.baseUrl+'/packs/js/sdk.js';s.async=true;s.onload=function(){"
        "window.chatwootSDK.run({websiteToken:c.websiteToken,baseUrl:c.baseUrl});};"
        "document.head.appendChild(s);})();</script>"
    )
    return mark_safe(data + script)  # json_script escapes the data; the script is constant
