"""Beat rows: the nightly reconciliation becomes backend-neutral (every enabled scope, per
backend), and the Krayin lead poll (the safety net behind workflow pushes) every 5 minutes."""

from django.db import migrations

OLD_TASK = "crm_plugin.twenty.nightly_reconcile"
NIGHTLY_TASK = "crm_plugin.nightly_reconcile"
NIGHTLY_NAME = "Twenty CRM éjszakai egyeztetés"
NEW_NIGHTLY_NAME = "CRM éjszakai egyeztetés (Twenty / Krayin)"
POLL_TASK = "crm_plugin.krayin.poll_leads"
POLL_NAME = "Krayin leadek lekérdezése (biztonsági háló)"


def forwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask.objects.filter(task=OLD_TASK).update(task=NIGHTLY_TASK, name=NEW_NIGHTLY_NAME)
    every, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(name=POLL_NAME, defaults={"task": POLL_TASK,
                                                                 "interval": every})


def backwards(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=POLL_TASK).delete()
    PeriodicTask.objects.filter(task=NIGHTLY_TASK).update(task=OLD_TASK, name=NIGHTLY_NAME)


class Migration(migrations.Migration):
    dependencies = [
        ("crm_plugin", "0004_krayin_backend"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
