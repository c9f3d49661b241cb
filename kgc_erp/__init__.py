"""KGC ERP: rental, service and sales counters with optional integration plugins."""

from .celery import app as celery_app

__all__ = ("celery_app",)
