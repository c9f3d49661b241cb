"""The CRM plugin's manifest: Twenty CRM sync, marketing e-mails, Krayin.

Twenty and Krayin are two backends of one plugin: the per-tenant setting `crm_backend`
selects one, and the subscriptions point at the backend-neutral dispatch in
`backends.py`, which calls `twenty.outbound.*` or `krayin.outbound.*` at delivery time.
"""

from apps.plugin_manager.plugins import (
    AdminAction,
    PluginAction,
    PluginAppConfig,
    SettingField,
    SettingKind,
)

OUTBOUND = "apps.crm_plugin.backends"
# The Chatwoot connector's emitted event (its event_types.EMITTED), shown on Krayin timelines.
CHATWOOT_CONVERSATION_OPENED = "chatwoot.conversation_created"
CHATWOOT_CONVERSATION_STATUS = "chatwoot.conversation_status_changed"


class CrmPluginConfig(PluginAppConfig):
    name = "apps.crm_plugin"
    label = "crm_plugin"
    verbose_name = "CRM (Twenty / Krayin)"

    plugin_id = "crm"
    plugin_name = "CRM"
    description = (
        "Partnerek, bérlési, szerviz- és értékesítési előzmények szinkronizálása a Twenty "
        "vagy a Krayin CRM-be (telephelyenként választható), marketing e-mailek, "
        "franchise-igénylések."
    )
    enabled_setting = "CRM_MODULE_ENABLED"
    subscriptions = {
        "partner.created": f"{OUTBOUND}.sync_partner",
        "partner.updated": f"{OUTBOUND}.sync_partner",
        "partner.deleted": f"{OUTBOUND}.remove_partner",
        "rental.completed": f"{OUTBOUND}.rental_completed",
        "rental.late": f"{OUTBOUND}.rental_late",
        "worklog.completed": f"{OUTBOUND}.worklog_completed",
        "order.delivered": f"{OUTBOUND}.order_delivered",
        CHATWOOT_CONVERSATION_OPENED: f"{OUTBOUND}.conversation_created",
        CHATWOOT_CONVERSATION_STATUS: f"{OUTBOUND}.conversation_status_changed",
    }
    settings_schema = (
        SettingField("crm_backend", "CRM rendszer", SettingKind.STRING, env="CRM_BACKEND",
                     default="twenty", help_text="„twenty” vagy „krayin” (telephelyenként)"),
        # Not `required`: a tenant on Krayin needs no Twenty key (TwentyConfig refuses an
        # incomplete Twenty connection when it is used).
        SettingField("crm_api_url", "Twenty alap URL", SettingKind.URL,
                     env="CRM_API_URL", help_text="GraphQL: /graphql, metaadatok: /metadata"),
        SettingField("crm_api_key", "Twenty API kulcs", SettingKind.SECRET, env="CRM_API_KEY"),
        SettingField("crm_webhook_secret", "Twenty webhook titok", SettingKind.SECRET,
                     env="CRM_WEBHOOK_SECRET"),
        SettingField("crm_rate_limit_per_minute", "Hívások percenként", SettingKind.INTEGER,
                     env="CRM_RATE_LIMIT_PER_MINUTE", default=100),
        SettingField("krayin_api_url", "Krayin API URL", SettingKind.URL, env="KRAYIN_API_URL",
                     help_text="APP_URL + /api/v1, pl. https://crm.example.hu/api/v1"),
        SettingField("krayin_email", "Krayin API felhasználó e-mail", SettingKind.STRING,
                     env="KRAYIN_EMAIL", help_text="Külön API felhasználó: minden belépés "
                     "kilépteti a felhasználó többi munkamenetét."),
        SettingField("krayin_password", "Krayin API jelszó", SettingKind.SECRET,
                     env="KRAYIN_PASSWORD"),
        SettingField("krayin_webhook_secret", "Krayin webhook titok", SettingKind.SECRET,
                     env="KRAYIN_WEBHOOK_SECRET",
                     help_text="A Krayin munkafolyamat webhookjának X-KGC-Krayin-Secret fejléce"),
        SettingField("krayin_rate_limit_per_minute", "Krayin hívások percenként",
                     SettingKind.INTEGER, env="KRAYIN_RATE_LIMIT_PER_MINUTE", default=60),
    )
    health_check = "apps.crm_plugin.health.check"
    setup_step = "apps.crm_plugin.setup.ensure_setup"
    actions = (
        PluginAction("initial_sync", "Kezdeti szinkron a Twenty CRM-be (folytatható)",
                     "crm_plugin.twenty.initial_sync", long_running=True),
        PluginAction("reconcile", "Egyeztetés a Twenty CRM-mel (eltérések javítása)",
                     "crm_plugin.twenty.reconcile", long_running=True),
        PluginAction("bootstrap_schema", "Twenty adatmodell létrehozása / ellenőrzése",
                     "crm_plugin.twenty.bootstrap_schema"),
        PluginAction("krayin_initial_sync", "Kezdeti szinkron a Krayin CRM-be (folytatható)",
                     "crm_plugin.krayin.initial_sync", long_running=True),
        PluginAction("krayin_reconcile", "Egyeztetés a Krayin CRM-mel",
                     "crm_plugin.krayin.reconcile", long_running=True),
        PluginAction("krayin_poll_leads", "Krayin leadek lekérdezése most",
                     "crm_plugin.krayin.poll_leads_action"),
    )
    webhook_sources = {
        "twenty": "apps.crm_plugin.twenty.webhooks.TwentySource",
        "krayin": "apps.crm_plugin.krayin.webhooks.KrayinSource",
    }
    privacy_handlers = {
        "twenty": "apps.crm_plugin.twenty.privacy.TwentyPrivacyHandler",
        "krayin": "apps.crm_plugin.krayin.privacy.KrayinPrivacyHandler",
    }
    retention_policies = ("apps.crm_plugin.retention.SYNC_RUN_ERRORS",)
    admin_actions = (
        AdminAction("partners.Partner", "gdpr_export_twenty",
                    "GDPR export a Twenty CRM-ből (JSON)", "crm_plugin.twenty.gdpr_export",
                    permission="crm_plugin.export_crm_data"),
    )

    def ready(self) -> None:
        super().ready()
        from apps.plugin_manager.signals import plugin_settings_changed, plugin_toggled

        from .backend_switch import on_settings_changed, on_toggled
        from .twenty.receivers import bootstrap_on_enable

        plugin_toggled.connect(bootstrap_on_enable, dispatch_uid="crm_twenty_bootstrap")
        plugin_toggled.connect(on_toggled, dispatch_uid="crm_backend_catch_up_on_enable")
        plugin_settings_changed.connect(on_settings_changed,
                                        dispatch_uid="crm_backend_catch_up_on_switch")
