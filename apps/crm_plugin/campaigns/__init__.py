"""Marketing and transactional e-mail campaigns of the CRM plugin (its own plugin app)."""
