"""Event bus: transactional outbox, deliveries, webhook inbox, outbound webhooks, external refs."""
