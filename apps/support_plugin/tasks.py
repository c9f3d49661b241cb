"""Celery autodiscovery looks for ``<app>/tasks.py``: the tasks live with their package."""

from .chatwoot.tasks import bootstrap_franchise, bootstrap_franchise_action, sync_all_contacts

__all__ = ("bootstrap_franchise", "bootstrap_franchise_action", "sync_all_contacts")
