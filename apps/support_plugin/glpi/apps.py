"""The GLPI ticket mirror's manifest: a connector of the support plugin, switched on and
off on its own (its own per-tenant switch, settings and health)."""

from apps.plugin_manager.plugins import PluginAction, PluginAppConfig, SettingField, SettingKind
from apps.support_plugin.chatwoot import event_types as chatwoot_events

OUTBOUND = "apps.support_plugin.glpi.outbound"


class GlpiConfig(PluginAppConfig):
    name = "apps.support_plugin.glpi"
    label = "support_glpi"
    verbose_name = "GLPI jegykezelés"

    plugin_id = "glpi"
    plugin_name = "GLPI jegykezelés"
    description = (
        "A Chatwoot beszélgetésekből GLPI hibajegy lesz, az üzenetekből követések; a GLPI "
        "technikusok válaszai és az állapotváltozások visszakerülnek a beszélgetésbe. "
        "Az Ügyfélszolgálat (Chatwoot) bővítmény eseményeire épül."
    )
    enabled_setting = "GLPI_ENABLED"
    subscriptions = {
        chatwoot_events.CONVERSATION_OPENED: f"{OUTBOUND}.conversation_created",
        chatwoot_events.MESSAGE_POSTED: f"{OUTBOUND}.message_created",
        chatwoot_events.CONVERSATION_STATUS: f"{OUTBOUND}.conversation_status_changed",
    }
    settings_schema = (
        SettingField("glpi_api_url", "GLPI API URL (…/apirest.php)", SettingKind.URL,
                     required=True, env="GLPI_API_URL"),
        SettingField("glpi_app_token", "GLPI alkalmazás token (App-Token)", SettingKind.SECRET,
                     env="GLPI_APP_TOKEN",
                     help_text="Üresen hagyható, ha az API kliensnek nincs alkalmazás tokenje."),
        SettingField("glpi_user_token", "GLPI felhasználói API token", SettingKind.SECRET,
                     required=True, env="GLPI_USER_TOKEN"),
        SettingField("glpi_entity_id", "GLPI entitás azonosító", SettingKind.INTEGER,
                     env="GLPI_ENTITY_ID",
                     help_text="Az új jegyek és igénylők entitása; üresen az API felhasználó "
                               "aktív entitása."),
        SettingField("glpi_requester_kind", "Igénylő típusa (user / contact)",
                     SettingKind.STRING, env="GLPI_REQUESTER_KIND", default="user",
                     help_text="user: GLPI felhasználó (lehet a jegy igénylője); contact: "
                               "címjegyzék kapcsolat (az igénylő ekkor az e-mail címe)."),
        SettingField("glpi_mirror_bot_messages", "Bot üzenetek tükrözése", SettingKind.BOOLEAN,
                     env="GLPI_MIRROR_BOT_MESSAGES", default=False),
        SettingField("glpi_poll_interval_minutes", "GLPI visszaolvasás gyakorisága (perc)",
                     SettingKind.INTEGER, env="GLPI_POLL_INTERVAL_MINUTES", default=5),
        SettingField("glpi_ticket_type", "Alapértelmezett jegytípus (1 incidens, 2 kérés)",
                     SettingKind.INTEGER, env="GLPI_TICKET_TYPE", default=1),
        SettingField("glpi_label_categories", "Címke → GLPI kategória (pl. javitas=12)",
                     SettingKind.STRING, env="GLPI_LABEL_CATEGORIES"),
    )
    health_check = "apps.support_plugin.glpi.health.check"
    privacy_handlers = {"glpi": "apps.support_plugin.glpi.privacy.GlpiPrivacyHandler"}
    retention_policies = ("apps.support_plugin.glpi.retention.ERROR_TEXTS",)
    actions = (
        PluginAction("poll_now", "GLPI jegyek visszaolvasása most",
                     "support_glpi.poll_tickets_action"),
    )

    def ready(self) -> None:
        super().ready()
        from celery.signals import worker_process_shutdown, worker_shutdown

        from .sessions import kill_all_sessions

        # Log out of GLPI when a worker (or one of its pool processes) stops.
        worker_process_shutdown.connect(kill_all_sessions, weak=False,
                                        dispatch_uid="support_glpi_kill_sessions")
        worker_shutdown.connect(kill_all_sessions, weak=False,
                                dispatch_uid="support_glpi_kill_sessions_main")
