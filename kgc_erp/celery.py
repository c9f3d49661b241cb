"""The Celery application: Redis broker, tasks discovered from every installed app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kgc_erp.settings")

app = Celery("kgc_erp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
