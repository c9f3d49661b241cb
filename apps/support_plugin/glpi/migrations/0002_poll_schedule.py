"""The GLPI read-back beat job, created as data so admins can edit it in the admin:
"GLPI: jegyek visszaolvasása" runs `support_glpi.poll_tickets` every 5 minutes."""

from django.db import migrations

NAME = "GLPI: jegyek visszaolvasása"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "support_glpi.poll_tickets",
            "interval": every_five,
            "crontab": None,
            "enabled": True,
            "description": "A GLPI technikusok válaszait és a jegyek állapotváltozásait "
                           "visszaírja a Chatwoot beszélgetésekbe.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support_glpi", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
