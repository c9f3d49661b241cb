"""Support plugin: Chatwoot, the Kokó AI agent, the bot API and the GLPI mirror."""
