"""Krayin CRM connector: the CRM plugin's alternative backend (REST, `crm_backend="krayin"`)."""
