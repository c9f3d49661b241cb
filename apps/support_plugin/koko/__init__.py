"""Kokó, the AI first-line support agent: knowledge base, retrieval and the offline brain
(understanding, confidence bands, drafting). The Chatwoot flow plugs in through
``apps.support_plugin.chatwoot.bot_hook``; this package decides, it does not send."""
