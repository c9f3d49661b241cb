"""CRM plugin: Twenty CRM sync, marketing e-mails, Krayin connector."""
