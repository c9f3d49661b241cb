"""Chatwoot integration: contacts from partners, customer notifications, inbound webhooks."""
