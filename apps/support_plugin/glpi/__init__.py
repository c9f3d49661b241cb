"""GLPI ticket mirror: Chatwoot conversations become GLPI tickets, messages followups."""
