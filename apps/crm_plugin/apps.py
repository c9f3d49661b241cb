"""The CRM plugin's manifest: Twenty CRM sync, marketing e-mails, Krayin."""

from apps.plugin_manager.plugins import (
    AdminAction,
    PluginAction,
    PluginAppConfig,
    SettingField,
    SettingKind,
)

OUTBOUND = "apps.crm_plugin.twenty.outbound"


class CrmPluginConfig(PluginAppConfig):
    name = "apps.crm_plugin"
    label = "crm_plugin"
    verbose_name = "CRM (Twenty)"

    plugin_id = "crm"
    plugin_name = "CRM"
    description = (
        "Partnerek, bérlési, szerviz- és értékesítési előzmények szinkronizálása a Twenty "
        "CRM-be, marketing e-mailek, franchise-igénylések."
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
    }
    settings_schema = (
        SettingField("crm_api_url", "Twenty alap URL", SettingKind.URL, required=True,
                     env="CRM_API_URL", help_text="GraphQL: /graphql, metaadatok: /metadata"),
        SettingField("crm_api_key", "Twenty API kulcs", SettingKind.SECRET, required=True,
                     env="CRM_API_KEY"),
        SettingField("crm_webhook_secret", "Twenty webhook titok", SettingKind.SECRET,
                     env="CRM_WEBHOOK_SECRET"),
        SettingField("crm_rate_limit_per_minute", "Hívások percenként", SettingKind.INTEGER,
                     env="CRM_RATE_LIMIT_PER_MINUTE", default=100),
    )
    health_check = "apps.crm_plugin.twenty.health.check"
    setup_step = "apps.crm_plugin.twenty.schema_bootstrap.ensure_schema"
    actions = (
        PluginAction("initial_sync", "Kezdeti szinkron a Twenty CRM-be (folytatható)",
                     "crm_plugin.twenty.initial_sync", long_running=True),
        PluginAction("reconcile", "Egyeztetés a Twenty CRM-mel (eltérések javítása)",
                     "crm_plugin.twenty.reconcile", long_running=True),
        PluginAction("bootstrap_schema", "Twenty adatmodell létrehozása / ellenőrzése",
                     "crm_plugin.twenty.bootstrap_schema"),
    )
    webhook_sources = {"twenty": "apps.crm_plugin.twenty.webhooks.TwentySource"}
    privacy_handlers = {"twenty": "apps.crm_plugin.twenty.privacy.TwentyPrivacyHandler"}
    admin_actions = (
        AdminAction("partners.Partner", "gdpr_export_twenty",
                    "GDPR export a Twenty CRM-ből (JSON)", "crm_plugin.twenty.gdpr_export",
                    permission="crm_plugin.export_crm_data"),
    )

    def ready(self) -> None:
        super().ready()
        from apps.plugin_manager.signals import plugin_toggled

        from .twenty.receivers import bootstrap_on_enable

        plugin_toggled.connect(bootstrap_on_enable, dispatch_uid="crm_twenty_bootstrap")
