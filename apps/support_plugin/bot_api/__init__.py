"""Read-only ERP API for the support bot and Chatwoot agents (DRF), with scoped API keys."""
