"""The support plugin's manifest: Chatwoot, the Kokó AI agent, the bot API, GLPI."""

from apps.plugin_manager.plugins import PluginAction, PluginAppConfig, SettingField, SettingKind

from .chatwoot import event_types as chatwoot_events

OUTBOUND = "apps.support_plugin.chatwoot.outbound"


class SupportPluginConfig(PluginAppConfig):
    name = "apps.support_plugin"
    label = "support_plugin"
    verbose_name = "Ügyfélszolgálat (Chatwoot, Kokó)"

    plugin_id = "support"
    plugin_name = "Ügyfélszolgálat"
    description = (
        "Chatwoot kapcsolatok és beszélgetések, ügyfélértesítések, Kokó AI ügyfélszolgálati "
        "asszisztens és az ügyfélszolgálati bot ERP API-ja."
    )
    enabled_setting = "SUPPORT_MODULE_ENABLED"
    subscriptions = {
        "partner.created": f"{OUTBOUND}.sync_partner",
        "partner.updated": f"{OUTBOUND}.sync_partner",
        "partner.deleted": f"{OUTBOUND}.delete_partner",
        "rental.started": f"{OUTBOUND}.notify_rental_started",
        "rental.due_tomorrow": f"{OUTBOUND}.notify_rental_due_tomorrow",
        "rental.late": f"{OUTBOUND}.notify_rental_late",
        "rental.completed": f"{OUTBOUND}.notify_rental_returned",
        "worklog.status_changed": f"{OUTBOUND}.worklog_status_changed",
        "worklog.quote_ready": f"{OUTBOUND}.notify_worklog_quote_ready",
        "worklog.completed": f"{OUTBOUND}.notify_worklog_completed",
        "order.arrived": f"{OUTBOUND}.notify_order_arrived",
    }
    settings_schema = (
        SettingField("chatwoot_api_url", "Chatwoot API URL", SettingKind.URL, required=True,
                     env="CHATWOOT_API_URL"),
        SettingField("chatwoot_api_key", "Chatwoot API kulcs", SettingKind.SECRET, required=True,
                     env="CHATWOOT_API_KEY"),
        SettingField("chatwoot_account_id", "Chatwoot fiók azonosító", SettingKind.INTEGER,
                     required=True, env="CHATWOOT_ACCOUNT_ID"),
        SettingField("chatwoot_inbox_id", "Értesítési postafiók azonosító", SettingKind.INTEGER,
                     env="CHATWOOT_INBOX_ID",
                     help_text="Ebbe a postafiókba nyílik új beszélgetés az értesítésekhez."),
        SettingField("chatwoot_platform_api_key", "Chatwoot Platform API kulcs",
                     SettingKind.SECRET, env="CHATWOOT_PLATFORM_API_KEY"),
        SettingField("chatwoot_webhook_secret", "Chatwoot webhook titok", SettingKind.SECRET,
                     env="CHATWOOT_WEBHOOK_SECRET"),
        SettingField("gemini_api_key", "Gemini API kulcs", SettingKind.SECRET,
                     env="GEMINI_API_KEY"),
    )
    health_check = "apps.support_plugin.chatwoot.health.check"
    actions = (
        PluginAction("sync_contacts", "Partnerek szinkronizálása a Chatwoot kapcsolatokba",
                     "support_plugin.chatwoot.sync_all_contacts", long_running=True),
        PluginAction("bootstrap_franchise", "Franchise Chatwoot fiók létrehozása",
                     "support_plugin.chatwoot.bootstrap_franchise_action"),
    )
    webhook_sources = {"chatwoot": "apps.support_plugin.chatwoot.webhooks.ChatwootSource"}
    emits = chatwoot_events.EMITTED
    mounted_urls = (("support/chatwoot/", "apps.support_plugin.urls"),)
    privacy_handlers = {
        "chatwoot": "apps.support_plugin.chatwoot.privacy.ChatwootPrivacyHandler",
        "bot_api": "apps.support_plugin.bot_api.privacy.BotApiPrivacyHandler",
    }
    retention_policies = ("apps.support_plugin.bot_api.retention.AUDIT_POLICY",)

    def ready(self) -> None:
        super().ready()
        from apps.plugin_manager.signals import plugin_toggled

        from .chatwoot.receivers import bootstrap_on_enable

        plugin_toggled.connect(bootstrap_on_enable, dispatch_uid="support_chatwoot_bootstrap")
