"""The manifest of the CRM plugin's e-mail campaigns.

A plugin app of its own (docs/connectors.md: a part with its own switch, settings and
health is its own app): the e-mails must not wait for Twenty. Inside the CRM plugin's
manifest its deliveries would be postponed while Twenty's schema bootstrap is pending or
its health check says DOWN, and a transactional reminder must go out regardless.
"""

from apps.plugin_manager.plugins import PluginAppConfig, SettingField, SettingKind

from . import event_types

OUTBOUND = "apps.crm_plugin.campaigns.outbound"


class CampaignsConfig(PluginAppConfig):
    name = "apps.crm_plugin.campaigns"
    label = "crm_campaigns"
    verbose_name = "CRM e-mail kampányok"

    plugin_id = "crm_campaigns"
    plugin_name = "E-mail kampányok"
    description = (
        "Lejárati emlékeztető, javítás kész értesítő, ajánlatok és visszacsábító e-mailek "
        "a partnereknek, hozzájárulás és egy kattintásos leiratkozás kezelésével."
    )
    # Follows the CRM plugin's initial switch; the database wins afterwards.
    enabled_setting = "CRM_MODULE_ENABLED"
    subscriptions = {
        event_types.CAMPAIGN_SEND_DUE: f"{OUTBOUND}.send_campaign_batch",
        "rental.due_tomorrow": f"{OUTBOUND}.remind_rental_due_tomorrow",
        "worklog.completed": f"{OUTBOUND}.notify_repair_ready",
    }
    emits = event_types.EMITTED
    settings_schema = (
        SettingField("campaign_rate_limit_per_minute", "E-mailek percenként (telephelyenként)",
                     SettingKind.INTEGER, env="CAMPAIGN_RATE_LIMIT_PER_MINUTE", default=6000),
        SettingField("campaign_send_batch_size", "E-mailek kötegenként (egy kézbesítés)",
                     SettingKind.INTEGER, env="CAMPAIGN_SEND_BATCH_SIZE", default=200,
                     help_text="Ennyi e-mail megy egy SMTP kapcsolaton, egy kézbesítésként."),
    )
    mounted_urls = (("email/", "apps.crm_plugin.campaigns.urls"),)
    privacy_handlers = {"campaigns": "apps.crm_plugin.campaigns.privacy.CampaignsPrivacyHandler"}
    retention_policies = ("apps.crm_plugin.campaigns.retention.SENT_BODIES",
                          "apps.crm_plugin.campaigns.retention.SMTP_ERRORS")
