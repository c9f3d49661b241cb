"""The Celery application: Redis broker, tasks discovered from every installed app."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kgc_erp.settings")

app = Celery("kgc_erp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(task: object = None, **kwargs: object) -> None:
    # What Django does around every request: drop connections that are broken or older
    # than CONN_MAX_AGE. Celery's own fixup would close every connection instead, unless
    # CELERY_DB_REUSE_MAX is set (it is, see settings). Eager tasks run inside the caller's
    # transaction (unit tests): their connection is not ours to close.
    if getattr(getattr(task, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections, connection

    if not connection.in_atomic_block:
        close_old_connections()
